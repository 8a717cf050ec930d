//! The transform job spec lives in `slipway_core::spec::transform`, beside
//! the validation profiles that embed its parts.

pub use slipway_core::spec::transform::*;
