//! The Slipway sample seller: one small static binary that is both a
//! SageMaker training image (`train`) and an inference image (`serve`).
//!
//! It exists so that Slipway's tests and quickstart have a seller whose
//! behaviour is known exactly: it really learns a linear regression on CSV,
//! follows the training and inference container contracts
//! (`docs/contracts.md` §3–5), and can be told to misbehave on purpose
//! (hyperparameter `mode` for training, environment `SAMPLE_MODE` for
//! serving) so every failure path of the platform can be exercised with a
//! real container. See `docs/sample-seller.md`.

pub mod cli;
pub mod cluster;
pub mod data;
pub mod dialout;
pub mod hyperparams;
pub mod linreg;
pub mod log;
pub mod model;
pub mod paths;
pub mod payload;
pub mod pipe;
pub mod serve;
pub mod train;
