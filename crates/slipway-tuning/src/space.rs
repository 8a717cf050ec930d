//! The search space: ranges, their scales, validation, and the mapping
//! between hyperparameter values and the unit interval the strategies search.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{Assignment, SpaceError};

/// A numeric range's `ScalingType`: how the tuner spreads its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scaling {
    /// AWS "chooses the best scale". AWS does not publish its rule; here a
    /// range with `min > 0` that spans at least two orders of magnitude
    /// (`max / min >= 100`) is searched logarithmically, any other linearly.
    Auto,
    /// Uniform in the value.
    Linear,
    /// Uniform in `ln(value)`; needs `min > 0`.
    Logarithmic,
    /// Uniform in `ln(1 - value)`, so values crowd towards `max` (momentum,
    /// decay rates); needs `0 <= min` and `max < 1`. Continuous ranges only.
    ReverseLogarithmic,
}

/// One tunable hyperparameter: AWS's `ContinuousParameterRange`,
/// `IntegerParameterRange` or `CategoricalParameterRange`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Range {
    /// Any float in `[min, max]`, both ends included.
    Continuous {
        name: String,
        min: f64,
        max: f64,
        scaling: Scaling,
    },
    /// Any integer in `[min, max]`, both ends included.
    Integer {
        name: String,
        min: i64,
        max: i64,
        scaling: Scaling,
    },
    /// One of `values`, as given.
    Categorical { name: String, values: Vec<String> },
}

impl Range {
    /// The hyperparameter's name (the key in an [`Assignment`]).
    pub fn name(&self) -> &str {
        match self {
            Range::Continuous { name, .. }
            | Range::Integer { name, .. }
            | Range::Categorical { name, .. } => name,
        }
    }

    fn validate(&self) -> Result<(), SpaceError> {
        let name = || self.name().to_string();
        match self {
            Range::Continuous {
                min, max, scaling, ..
            } => {
                if !min.is_finite() || !max.is_finite() {
                    return Err(SpaceError::NotFinite { name: name() });
                }
                check_order(self.name(), *min, *max, format_float)?;
                match scaling {
                    Scaling::Logarithmic if *min <= 0.0 => Err(SpaceError::LogNeedsPositive {
                        name: name(),
                        min: format_float(*min),
                    }),
                    Scaling::ReverseLogarithmic if *min < 0.0 || *max >= 1.0 => {
                        Err(SpaceError::ReverseLogOutsideUnit { name: name() })
                    }
                    _ => Ok(()),
                }
            }
            Range::Integer {
                min, max, scaling, ..
            } => {
                check_order(self.name(), *min, *max, |v| v.to_string())?;
                match scaling {
                    Scaling::Logarithmic if *min <= 0 => Err(SpaceError::LogNeedsPositive {
                        name: name(),
                        min: min.to_string(),
                    }),
                    Scaling::ReverseLogarithmic => {
                        Err(SpaceError::ReverseLogInteger { name: name() })
                    }
                    _ => Ok(()),
                }
            }
            Range::Categorical { values, .. } => {
                if values.is_empty() {
                    return Err(SpaceError::NoValues { name: name() });
                }
                let mut seen = HashSet::new();
                for value in values {
                    if !seen.insert(value) {
                        return Err(SpaceError::DuplicateValue {
                            name: name(),
                            value: value.clone(),
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// How many distinct values the range holds; `None` for a continuous
    /// range wider than a point.
    fn cardinality(&self) -> Option<u128> {
        match self {
            Range::Continuous { min, max, .. } => (min == max).then_some(1),
            Range::Integer { min, max, .. } => {
                Some((i128::from(*max) - i128::from(*min) + 1).unsigned_abs())
            }
            Range::Categorical { values, .. } => Some(values.len() as u128),
        }
    }

    /// The numeric axis of a continuous or integer range.
    pub(crate) fn axis(&self) -> Option<Axis> {
        match self {
            Range::Continuous {
                min, max, scaling, ..
            } => Some(Axis::new(*min, *max, *scaling, false)),
            // i64 -> f64 loses precision past 2^53; hyperparameters that
            // large are not searched meaningfully by any strategy anyway.
            #[allow(clippy::cast_precision_loss)]
            Range::Integer {
                min, max, scaling, ..
            } => Some(Axis::new(*min as f64, *max as f64, *scaling, true)),
            Range::Categorical { .. } => None,
        }
    }
}

fn check_order<T: PartialOrd + Copy>(
    name: &str,
    min: T,
    max: T,
    show: impl Fn(T) -> String,
) -> Result<(), SpaceError> {
    if min > max {
        return Err(SpaceError::MinAboveMax {
            name: name.to_string(),
            min: show(min),
            max: show(max),
        });
    }
    Ok(())
}

/// The hyperparameter ranges of a tuning job (AWS's `ParameterRanges`,
/// flattened; the order is the caller's and fixes the grid order).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Space {
    pub ranges: Vec<Range>,
}

impl Space {
    /// Checks the rules AWS applies to `ParameterRanges`: `min <= max`,
    /// finite bounds, `Logarithmic` needs `min > 0`, `ReverseLogarithmic`
    /// needs `0 <= min` and `max < 1` (continuous ranges only), categorical
    /// values present and distinct, and each name in one range only.
    pub fn validate(&self) -> Result<(), SpaceError> {
        let mut names = HashSet::new();
        for range in &self.ranges {
            if !names.insert(range.name()) {
                return Err(SpaceError::DuplicateName {
                    name: range.name().to_string(),
                });
            }
            range.validate()?;
        }
        Ok(())
    }

    /// How many distinct assignments the space holds; `None` when it is
    /// infinite (a continuous range) or past `u128`.
    pub(crate) fn cardinality(&self) -> Option<u128> {
        self.ranges
            .iter()
            .try_fold(1u128, |n, r| n.checked_mul(r.cardinality()?))
    }

    /// The `index`-th assignment of a finite space in mixed-radix order: the
    /// ranges in their order, the last one varying fastest (an odometer),
    /// categorical values in their given order, integers ascending.
    /// `index` must be below [`Space::cardinality`].
    pub(crate) fn nth(&self, mut index: u128) -> Assignment {
        let mut digits = vec![0u128; self.ranges.len()];
        for (digit, range) in digits.iter_mut().zip(&self.ranges).rev() {
            let radix = range.cardinality().unwrap_or(1).max(1);
            *digit = index % radix;
            index /= radix;
        }
        self.ranges
            .iter()
            .zip(digits)
            .map(|(range, digit)| {
                let value = match range {
                    Range::Continuous { min, .. } => format_float(*min),
                    Range::Integer { min, .. } => (i128::from(*min) + digit as i128).to_string(),
                    Range::Categorical { values, .. } => values
                        .get(usize::try_from(digit).unwrap_or(usize::MAX))
                        .cloned()
                        .unwrap_or_default(),
                };
                (range.name().to_string(), value)
            })
            .collect()
    }

    /// The assignment at a point of the search's coordinates (one per range).
    pub(crate) fn decode(&self, point: &[Coord]) -> Assignment {
        self.ranges
            .iter()
            .zip(point)
            .map(|(range, coord)| {
                let value = match (range, coord) {
                    (Range::Categorical { values, .. }, Coord::Index(i)) => {
                        values.get(*i).cloned().unwrap_or_default()
                    }
                    (Range::Integer { min, max, .. }, Coord::Unit(u)) => {
                        let x = range.axis().map_or(0.0, |a| a.value_at(*u));
                        // Rounding within the widened bounds, then clamping:
                        // both ends are reachable with their fair share.
                        #[allow(clippy::cast_possible_truncation)]
                        let v = (x.round() as i64).clamp(*min, *max);
                        v.to_string()
                    }
                    (Range::Continuous { .. }, Coord::Unit(u)) => {
                        format_float(range.axis().map_or(0.0, |a| a.value_at(*u)))
                    }
                    _ => String::new(),
                };
                (range.name().to_string(), value)
            })
            .collect()
    }

    /// The coordinates of an assignment, or `None` when it is not a point of
    /// this space (a missing name, a value that does not parse or lies
    /// outside its range). Trials from an older space are skipped this way.
    pub(crate) fn encode(&self, assignment: &Assignment) -> Option<Vec<Coord>> {
        self.ranges
            .iter()
            .map(|range| {
                let value = assignment.get(range.name())?;
                match range {
                    Range::Categorical { values, .. } => {
                        values.iter().position(|v| v == value).map(Coord::Index)
                    }
                    Range::Continuous { min, max, .. } => {
                        let x: f64 = value.parse().ok()?;
                        let axis = range.axis()?;
                        (*min <= x && x <= *max).then(|| Coord::Unit(axis.to_unit(x)))
                    }
                    #[allow(clippy::cast_precision_loss)]
                    Range::Integer { min, max, .. } => {
                        let x: i64 = value.parse().ok()?;
                        let axis = range.axis()?;
                        (*min <= x && x <= *max).then(|| Coord::Unit(axis.to_unit(x as f64)))
                    }
                }
            })
            .collect()
    }
}

/// One coordinate of a point the strategies search: numeric ranges live on
/// `[0, 1]` (their scale applied), categoricals are a value's index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Coord {
    Unit(f64),
    Index(usize),
}

/// A float as SageMaker passes hyperparameters: the shortest text that
/// parses back to the same `f64` (Rust's `Debug`, which, like Python's
/// `repr`, keeps a `.0` on whole numbers and uses an exponent for very
/// small or large magnitudes).
pub(crate) fn format_float(x: f64) -> String {
    format!("{x:?}")
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Warp {
    Linear,
    Log,
    ReverseLog,
}

/// A numeric range on its scale: `to_unit` maps `[lo, hi]` monotonically
/// onto `[0, 1]` so that uniform unit samples are uniform on the scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Axis {
    lo: f64,
    hi: f64,
    warp: Warp,
}

/// `Auto` picks a log scale from this ratio of `max / min` on (two orders
/// of magnitude).
const AUTO_LOG_RATIO: f64 = 100.0;

impl Axis {
    fn new(min: f64, max: f64, scaling: Scaling, integer: bool) -> Self {
        let warp = match scaling {
            Scaling::Linear => Warp::Linear,
            Scaling::Logarithmic => Warp::Log,
            Scaling::ReverseLogarithmic => Warp::ReverseLog,
            Scaling::Auto if min > 0.0 && max / min >= AUTO_LOG_RATIO => Warp::Log,
            Scaling::Auto => Warp::Linear,
        };
        // Integers are searched over [min - 0.5, max + 0.5] and rounded, so
        // each end gets as much of the scale as an inner value. An integer
        // log range has min >= 1, so its lower bound stays positive.
        let (lo, hi) = if integer {
            (min - 0.5, max + 0.5)
        } else {
            (min, max)
        };
        Axis { lo, hi, warp }
    }

    fn warp(&self, x: f64) -> f64 {
        match self.warp {
            Warp::Linear => x,
            Warp::Log => x.ln(),
            Warp::ReverseLog => -(1.0 - x).ln(),
        }
    }

    fn unwarp(&self, t: f64) -> f64 {
        match self.warp {
            Warp::Linear => t,
            Warp::Log => t.exp(),
            Warp::ReverseLog => 1.0 - (-t).exp(),
        }
    }

    pub(crate) fn to_unit(self, x: f64) -> f64 {
        let (a, b) = (self.warp(self.lo), self.warp(self.hi));
        if b <= a {
            return 0.5;
        }
        ((self.warp(x) - a) / (b - a)).clamp(0.0, 1.0)
    }

    pub(crate) fn value_at(self, u: f64) -> f64 {
        // The ends exactly (exp/ln round trips would miss them by an ulp, and
        // "0.0010000000000000002" is not the bound the user wrote); inside,
        // clamped for the same reason.
        if u <= 0.0 {
            return self.lo;
        }
        if u >= 1.0 {
            return self.hi;
        }
        let (a, b) = (self.warp(self.lo), self.warp(self.hi));
        self.unwarp(a + u * (b - a)).clamp(self.lo, self.hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cont(min: f64, max: f64, scaling: Scaling) -> Range {
        Range::Continuous {
            name: "x".into(),
            min,
            max,
            scaling,
        }
    }

    fn int(min: i64, max: i64, scaling: Scaling) -> Range {
        Range::Integer {
            name: "n".into(),
            min,
            max,
            scaling,
        }
    }

    fn space(ranges: Vec<Range>) -> Space {
        Space { ranges }
    }

    #[test]
    fn validation_follows_aws_rules() {
        let ok = |r: Range| space(vec![r]).validate();
        assert!(ok(cont(0.0, 1.0, Scaling::Linear)).is_ok());
        assert!(ok(cont(1.0, 1.0, Scaling::Logarithmic)).is_ok());
        assert!(matches!(
            ok(cont(2.0, 1.0, Scaling::Linear)),
            Err(SpaceError::MinAboveMax { .. })
        ));
        assert!(matches!(
            ok(cont(0.0, 1.0, Scaling::Logarithmic)),
            Err(SpaceError::LogNeedsPositive { .. })
        ));
        assert!(ok(cont(0.0, 0.999, Scaling::ReverseLogarithmic)).is_ok());
        assert!(matches!(
            ok(cont(0.5, 1.0, Scaling::ReverseLogarithmic)),
            Err(SpaceError::ReverseLogOutsideUnit { .. })
        ));
        assert!(matches!(
            ok(cont(-0.1, 0.5, Scaling::ReverseLogarithmic)),
            Err(SpaceError::ReverseLogOutsideUnit { .. })
        ));
        assert!(matches!(
            ok(cont(f64::NAN, 0.5, Scaling::Linear)),
            Err(SpaceError::NotFinite { .. })
        ));
        assert!(matches!(
            ok(int(0, 10, Scaling::Logarithmic)),
            Err(SpaceError::LogNeedsPositive { .. })
        ));
        assert!(matches!(
            ok(int(0, 0, Scaling::ReverseLogarithmic)),
            Err(SpaceError::ReverseLogInteger { .. })
        ));
        assert!(matches!(
            ok(Range::Categorical {
                name: "c".into(),
                values: vec![]
            }),
            Err(SpaceError::NoValues { .. })
        ));
        assert!(matches!(
            ok(Range::Categorical {
                name: "c".into(),
                values: vec!["a".into(), "a".into()]
            }),
            Err(SpaceError::DuplicateValue { .. })
        ));
        let twice = space(vec![
            cont(0.0, 1.0, Scaling::Auto),
            cont(0.0, 2.0, Scaling::Auto),
        ]);
        assert!(matches!(
            twice.validate(),
            Err(SpaceError::DuplicateName { .. })
        ));
    }

    #[test]
    fn messages_name_the_field_and_rule() {
        let err = space(vec![cont(0.0, 1.0, Scaling::Logarithmic)])
            .validate()
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "Invalid ScalingType for hyperparameter x: Logarithmic scaling works only for \
                 ranges that have only values greater than 0, but MinValue is 0.0."
            )
        );
        let err = space(vec![int(5, 1, Scaling::Auto)]).validate().err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("The MinValue (5) of hyperparameter n must be less than or equal to its MaxValue (1).")
        );
    }

    #[test]
    fn scales_reach_both_ends_and_round_trip() {
        for scaling in [
            Scaling::Linear,
            Scaling::Logarithmic,
            Scaling::Auto,
            Scaling::ReverseLogarithmic,
        ] {
            let (min, max) = (0.001, 0.9);
            let axis = cont(min, max, scaling).axis().expect("numeric");
            assert_eq!(axis.value_at(0.0), min, "{scaling:?}");
            assert_eq!(axis.value_at(1.0), max, "{scaling:?}");
            for x in [0.001, 0.01, 0.5, 0.9] {
                let back = axis.value_at(axis.to_unit(x));
                assert!((back - x).abs() < 1e-12, "{scaling:?} {x} {back}");
            }
        }
    }

    #[test]
    fn log_scale_spends_equal_share_per_decade() {
        let axis = cont(0.001, 1.0, Scaling::Logarithmic)
            .axis()
            .expect("numeric");
        assert!((axis.value_at(1.0 / 3.0) - 0.01).abs() < 1e-12);
        assert!((axis.value_at(2.0 / 3.0) - 0.1).abs() < 1e-12);
        // Auto picks log for >= 2 decades with min > 0, else linear.
        let auto = cont(0.001, 1.0, Scaling::Auto).axis().expect("numeric");
        assert_eq!(auto, axis);
        let lin = cont(1.0, 50.0, Scaling::Auto).axis().expect("numeric");
        assert!((lin.value_at(0.5) - 25.5).abs() < 1e-12);
        let from_zero = cont(0.0, 1000.0, Scaling::Auto).axis().expect("numeric");
        assert!((from_zero.value_at(0.5) - 500.0).abs() < 1e-12);
    }

    #[test]
    fn reverse_log_crowds_towards_max() {
        // 1 - x is log-uniform on [0.001, 1]: the middle of the scale is
        // 1 - 10^-1.5, far above the linear middle.
        let axis = cont(0.0, 0.999, Scaling::ReverseLogarithmic)
            .axis()
            .expect("numeric");
        let mid = axis.value_at(0.5);
        assert!((mid - (1.0 - 10f64.powf(-1.5))).abs() < 1e-9, "{mid}");
    }

    #[test]
    fn integers_decode_within_inclusive_bounds() {
        let s = space(vec![int(1, 3, Scaling::Linear)]);
        let at = |u: f64| s.decode(&[Coord::Unit(u)])["n"].clone();
        assert_eq!(at(0.0), "1");
        assert_eq!(at(0.5), "2");
        assert_eq!(at(1.0), "3");
        assert_eq!(at(0.999_999), "3");
        let log = space(vec![int(1, 1000, Scaling::Logarithmic)]);
        assert_eq!(log.decode(&[Coord::Unit(0.0)])["n"], "1");
        assert_eq!(log.decode(&[Coord::Unit(1.0)])["n"], "1000");
    }

    #[test]
    fn floats_format_shortest_round_trip() {
        assert_eq!(format_float(0.1), "0.1");
        assert_eq!(format_float(1.0), "1.0");
        assert_eq!(format_float(1e-10), "1e-10");
        assert_eq!(format_float(0.30000000000000004), "0.30000000000000004");
    }

    #[test]
    fn encode_inverts_decode_and_rejects_foreign_points() {
        let s = space(vec![
            cont(0.01, 10.0, Scaling::Logarithmic),
            int(-5, 5, Scaling::Linear),
            Range::Categorical {
                name: "c".into(),
                values: vec!["a".into(), "b".into()],
            },
        ]);
        let a = s.decode(&[Coord::Unit(0.25), Coord::Unit(0.7), Coord::Index(1)]);
        let back = s.encode(&a).expect("own point");
        assert_eq!(s.decode(&back), a);
        let mut foreign = a.clone();
        foreign.insert("c".into(), "z".into());
        assert!(s.encode(&foreign).is_none());
        let mut outside = a;
        outside.insert("n".into(), "6".into());
        assert!(s.encode(&outside).is_none());
    }

    #[test]
    fn nth_is_an_odometer_with_the_last_range_fastest() {
        let s = space(vec![
            Range::Categorical {
                name: "a".into(),
                values: vec!["x".into(), "y".into()],
            },
            int(1, 3, Scaling::Auto),
        ]);
        assert_eq!(s.cardinality(), Some(6));
        let seq: Vec<String> = (0..6)
            .map(|i| {
                let a = s.nth(i);
                format!("{}{}", a["a"], a["n"])
            })
            .collect();
        assert_eq!(seq, ["x1", "x2", "x3", "y1", "y2", "y3"]);
        assert_eq!(
            space(vec![cont(0.0, 1.0, Scaling::Auto)]).cardinality(),
            None
        );
    }
}
