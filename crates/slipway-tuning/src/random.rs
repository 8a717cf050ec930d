//! Random search: each range sampled independently, uniformly on its scale.

use std::collections::HashSet;

use crate::draw::Draw;
use crate::space::{Coord, Range, Space};
use crate::{Assignment, Trial};

/// The assignments already tried (finished, failed or not) or running.
pub(crate) struct Taken<'a>(HashSet<&'a Assignment>);

impl<'a> Taken<'a> {
    pub(crate) fn new(finished: &'a [Trial], pending: &'a [Assignment]) -> Self {
        Taken(
            finished
                .iter()
                .map(|t| &t.assignment)
                .chain(pending)
                .collect(),
        )
    }

    pub(crate) fn contains(&self, a: &Assignment) -> bool {
        self.0.contains(a)
    }
}

/// A uniform point of the space's coordinates.
pub(crate) fn sample_point(space: &Space, draw: &mut Draw) -> Vec<Coord> {
    space
        .ranges
        .iter()
        .map(|range| match range {
            Range::Categorical { values, .. } => {
                let i = draw.below(values.len() as u128);
                Coord::Index(usize::try_from(i).unwrap_or(0))
            }
            _ => Coord::Unit(draw.unit()),
        })
        .collect()
}

/// Draws before a random proposal concludes the space may be used up.
const FRESH_TRIES: usize = 64;
/// A finite space up to this size is listed to find what is left once
/// draws keep hitting taken points.
const LISTABLE: u128 = 1 << 20;
/// Draws in a space too large to list before giving up (practically never
/// reached: it takes a space nearly used up and too large to list).
const LAST_TRIES: usize = 10_000;

/// A random assignment not yet taken, or `None` when none is left.
pub(crate) fn propose(space: &Space, taken: &Taken, draw: &mut Draw) -> Option<Assignment> {
    for _ in 0..FRESH_TRIES {
        let a = space.decode(&sample_point(space, draw));
        if !taken.contains(&a) {
            return Some(a);
        }
    }
    match space.cardinality() {
        Some(n) if n <= LISTABLE => {
            let free: Vec<Assignment> = (0..n)
                .map(|i| space.nth(i))
                .filter(|a| !taken.contains(a))
                .collect();
            let pick = usize::try_from(draw.below(free.len() as u128)).unwrap_or(0);
            free.into_iter().nth(pick)
        }
        _ => (0..LAST_TRIES)
            .map(|_| space.decode(&sample_point(space, draw)))
            .find(|a| !taken.contains(a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::Scaling;

    fn draw() -> Draw {
        Draw::from_u64(42)
    }

    #[test]
    fn integer_ends_are_sampled_and_bounds_hold() {
        let space = Space {
            ranges: vec![Range::Integer {
                name: "n".into(),
                min: 1,
                max: 4,
                scaling: Scaling::Linear,
            }],
        };
        let mut d = draw();
        let mut counts = [0u32; 4];
        for _ in 0..4000 {
            let a = space.decode(&sample_point(&space, &mut d));
            let n: usize = a["n"].parse().expect("integer");
            counts[n - 1] += 1;
        }
        // Each of 1..=4 gets about a quarter, the ends included.
        for c in counts {
            assert!((850..1150).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn log_sampling_is_uniform_per_decade() {
        let space = Space {
            ranges: vec![Range::Continuous {
                name: "lr".into(),
                min: 1e-4,
                max: 1.0,
                scaling: Scaling::Logarithmic,
            }],
        };
        let mut d = draw();
        let below_1e2 = (0..4000)
            .map(|_| space.decode(&sample_point(&space, &mut d))["lr"].parse::<f64>())
            .filter(|x| matches!(x, Ok(v) if (1e-4..=1.0).contains(v) && *v < 1e-2))
            .count();
        // Two decades of four: about half.
        assert!((1800..2200).contains(&below_1e2), "{below_1e2}");
    }

    #[test]
    fn finite_space_is_used_up_without_repeats_then_none() {
        let space = Space {
            ranges: vec![
                Range::Categorical {
                    name: "c".into(),
                    values: vec!["a".into(), "b".into(), "c".into()],
                },
                Range::Integer {
                    name: "n".into(),
                    min: 0,
                    max: 2,
                    scaling: Scaling::Auto,
                },
            ],
        };
        let mut tried: Vec<Trial> = Vec::new();
        for _ in 0..9 {
            let taken = Taken::new(&tried, &[]);
            let a = propose(&space, &taken, &mut draw()).expect("space not used up");
            assert!(!taken.contains(&a));
            tried.push(Trial {
                assignment: a,
                objective: None,
            });
        }
        let taken = Taken::new(&tried, &[]);
        assert_eq!(propose(&space, &taken, &mut draw()), None);
    }
}
