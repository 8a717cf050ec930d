//! The crate's one error: a tuning configuration AWS would refuse.
//!
//! Each message is what the control plane returns as the
//! `ValidationException` message, so it is worded the way SageMaker words
//! its own (it names the field and the rule). AWS does not publish the
//! exact strings for these checks; where its documentation states the rule,
//! the message quotes the documentation's sentence.

/// A search space or strategy configuration that cannot be tuned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpaceError {
    /// `MinValue` or `MaxValue` is NaN or infinite.
    #[error("The MinValue and MaxValue of hyperparameter {name} must be finite numbers.")]
    NotFinite { name: String },
    /// `MinValue > MaxValue`.
    #[error(
        "The MinValue ({min}) of hyperparameter {name} must be less than or equal to its MaxValue ({max})."
    )]
    MinAboveMax {
        name: String,
        min: String,
        max: String,
    },
    /// `Logarithmic` scaling with a range that reaches 0 or below.
    #[error(
        "Invalid ScalingType for hyperparameter {name}: Logarithmic scaling works only for ranges that have only values greater than 0, but MinValue is {min}."
    )]
    LogNeedsPositive { name: String, min: String },
    /// `ReverseLogarithmic` scaling with a range outside `0 <= x < 1`.
    #[error(
        "Invalid ScalingType for hyperparameter {name}: ReverseLogarithmic scaling works only for ranges that are entirely within the range 0<=x<1.0."
    )]
    ReverseLogOutsideUnit { name: String },
    /// `ReverseLogarithmic` on an integer range: the only integer in
    /// `0 <= x < 1` is 0, so AWS documents the scale for continuous ranges only.
    #[error(
        "Invalid ScalingType for hyperparameter {name}: ReverseLogarithmic scaling is supported only for continuous hyperparameters."
    )]
    ReverseLogInteger { name: String },
    /// A categorical range with no values.
    #[error("The CategoricalParameterRange for hyperparameter {name} must have at least 1 value.")]
    NoValues { name: String },
    /// A categorical range listing one value twice.
    #[error(
        "The CategoricalParameterRange for hyperparameter {name} has the duplicate value {value}."
    )]
    DuplicateValue { name: String, value: String },
    /// Two ranges with one name.
    #[error("The hyperparameter {name} is specified in more than one parameter range.")]
    DuplicateName { name: String },
    /// The Grid strategy over a non-categorical range.
    #[error(
        "The Grid strategy supports only CategoricalParameterRanges, but hyperparameter {name} is {kind}."
    )]
    GridNeedsCategorical { name: String, kind: &'static str },
    /// Hyperband's `MinResource` is 0.
    #[error("MinResource for the Hyperband strategy must be at least 1.")]
    HyperbandMinZero,
    /// Hyperband's `MinResource > MaxResource`.
    #[error(
        "MinResource ({min}) for the Hyperband strategy must be less than or equal to MaxResource ({max})."
    )]
    HyperbandMinAboveMax { min: u32, max: u32 },
}
