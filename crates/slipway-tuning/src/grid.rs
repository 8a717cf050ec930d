//! Grid search: every combination of the categorical values, in a fixed
//! order (the ranges in their order, the last one varying fastest).
//!
//! AWS accepts Grid only over categorical ranges and runs one training job
//! per grid point (the grid's size is the job count).

use crate::random::Taken;
use crate::space::{Range, Space};
use crate::{Assignment, SpaceError};

/// Refuses a non-categorical range, as AWS does for Grid.
pub(crate) fn check(space: &Space) -> Result<(), SpaceError> {
    for range in &space.ranges {
        let kind = match range {
            Range::Continuous { .. } => "a ContinuousParameterRange",
            Range::Integer { .. } => "an IntegerParameterRange",
            Range::Categorical { .. } => continue,
        };
        return Err(SpaceError::GridNeedsCategorical {
            name: range.name().to_string(),
            kind,
        });
    }
    Ok(())
}

/// The number of grid points, saturating at `u64::MAX`.
pub(crate) fn size(space: &Space) -> u64 {
    space
        .cardinality()
        .map_or(u64::MAX, |n| u64::try_from(n).unwrap_or(u64::MAX))
}

/// The first grid point in order that is neither tried nor running.
pub(crate) fn propose(space: &Space, taken: &Taken, taken_count: usize) -> Option<Assignment> {
    let size = space.cardinality()?;
    // At most `taken_count` points are taken, so the first free one is among
    // the first `taken_count + 1`: no need to walk a huge grid.
    let bound = size.min(taken_count as u128 + 1);
    (0..bound)
        .map(|i| space.nth(i))
        .find(|a| !taken.contains(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::Scaling;
    use crate::Trial;

    fn cat(name: &str, values: &[&str]) -> Range {
        Range::Categorical {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn walks_the_product_in_order_and_ends() {
        let space = Space {
            ranges: vec![
                cat("opt", &["sgd", "adam"]),
                cat("bs", &["32", "64", "128"]),
            ],
        };
        check(&space).expect("categorical only");
        assert_eq!(size(&space), 6);
        let mut tried: Vec<Trial> = Vec::new();
        let mut order = Vec::new();
        while let Some(a) = propose(&space, &Taken::new(&tried, &[]), tried.len()) {
            order.push(format!("{}/{}", a["opt"], a["bs"]));
            tried.push(Trial {
                assignment: a,
                objective: Some(0.0),
            });
        }
        assert_eq!(
            order,
            ["sgd/32", "sgd/64", "sgd/128", "adam/32", "adam/64", "adam/128"]
        );
    }

    #[test]
    fn skips_running_points() {
        let space = Space {
            ranges: vec![cat("a", &["1", "2", "3"])],
        };
        let running: Vec<Assignment> = vec![space.nth(0), space.nth(2)];
        let next = propose(&space, &Taken::new(&[], &running), running.len());
        assert_eq!(next, Some(space.nth(1)));
    }

    #[test]
    fn refuses_numeric_ranges_with_aws_message() {
        let space = Space {
            ranges: vec![
                cat("a", &["1"]),
                Range::Integer {
                    name: "depth".into(),
                    min: 1,
                    max: 3,
                    scaling: Scaling::Auto,
                },
            ],
        };
        let err = check(&space).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "The Grid strategy supports only CategoricalParameterRanges, but hyperparameter \
                 depth is an IntegerParameterRange."
            )
        );
    }
}
