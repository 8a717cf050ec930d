//! The training job spec lives in `slipway_core::spec::training`, beside
//! the validation profiles that embed its parts.

pub use slipway_core::spec::training::*;
