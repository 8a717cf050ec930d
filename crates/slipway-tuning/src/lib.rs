//! The decisions of SageMaker hyperparameter tuning jobs, without I/O.
//!
//! AWS's `CreateHyperParameterTuningJob` searches `ParameterRanges`
//! (continuous, integer and categorical ranges, each numeric one on a
//! `ScalingType`) with a strategy: `Random`, `Grid` (every combination of
//! categorical values, one job each), `Bayesian` (a model of the trials so
//! far picks the next) or `Hyperband` (random proposals, with children
//! stopped at rungs of successive halving). With
//! `TrainingJobEarlyStoppingType=Auto` it stops children worse than the
//! median of their peers' running averages.
//!
//! This crate makes those decisions for Slipway's control plane, which owns
//! the resource, the child training jobs and their metrics:
//! - [`Space`] and [`Space::validate`]: the ranges and AWS's rules for them;
//! - [`Tuner::propose`]: the next [`Assignment`] to train, a pure function
//!   of (strategy, space, seed, finished trials, running assignments), so a
//!   restarted server proposes the same; never one already tried or
//!   running while the space has another. Bayesian is a Tree-structured
//!   Parzen Estimator (the `tpe` module's docs say why and how);
//! - [`median_rule_should_stop`]: the `Auto` early-stopping rule;
//! - [`Hyperband`]: brackets, rungs and stop decisions for `Hyperband`.
//!
//! What differs from AWS, as far as AWS documents itself: its Bayesian
//! model and its `Auto` scale rule are unpublished (see [`Scaling::Auto`]),
//! and its validation messages are approximated (see [`SpaceError`]).

mod draw;
mod error;
mod grid;
mod hyperband;
mod median;
mod random;
mod space;
mod tpe;

use serde::{Deserialize, Serialize};

pub use error::SpaceError;
pub use hyperband::{Bracket, Hyperband, ETA};
pub use median::{median_rule_should_stop, MEDIAN_RULE_MIN_PEERS};
pub use space::{Range, Scaling, Space};

/// Hyperparameter values as SageMaker passes them to a training job, by
/// name: integers as `"12"`, floats as their shortest round-trip text
/// (`"0.001"`, `"1e-10"`), categoricals as given. Only the tuned ranges:
/// the caller merges in the static hyperparameters.
pub type Assignment = std::collections::BTreeMap<String, String>;

/// The objective's direction (`HyperParameterTuningJobObjective.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Goal {
    Minimize,
    Maximize,
}

impl Goal {
    /// The value to minimise.
    pub(crate) fn loss(self, objective: f64) -> f64 {
        match self {
            Goal::Minimize => objective,
            Goal::Maximize => -objective,
        }
    }

    /// Whether `a` is strictly worse than `b`.
    pub(crate) fn worse(self, a: f64, b: f64) -> bool {
        self.loss(a) > self.loss(b)
    }
}

/// A child training job that has ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub assignment: Assignment,
    /// The final objective; `None` when the job failed or was stopped
    /// without one. Such a trial counts as tried and is not proposed again;
    /// the Bayesian model steers away from it but never treats it as good.
    pub objective: Option<f64>,
}

/// The tuning strategy (`HyperParameterTuningJobConfig.Strategy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StrategyKind {
    Random,
    Grid,
    Bayesian,
    /// `StrategyConfig.HyperbandStrategyConfig`: the resource is epochs, the
    /// number of intermediate objective values a child reports.
    Hyperband {
        min_resource: u32,
        max_resource: u32,
    },
}

/// Proposes the assignments of a tuning job's children.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuner {
    kind: StrategyKind,
    space: Space,
    goal: Goal,
    seed: u64,
    hyperband: Option<Hyperband>,
}

impl Tuner {
    /// A tuner for a validated space: fails as AWS would on invalid ranges,
    /// on Grid with a non-categorical range, or on a Hyperband resource
    /// range that is empty or starts at 0. `seed` is the job's `RandomSeed`
    /// (or one the control plane chose and stored).
    pub fn new(
        kind: StrategyKind,
        space: Space,
        goal: Goal,
        seed: u64,
    ) -> Result<Tuner, SpaceError> {
        space.validate()?;
        let hyperband = match &kind {
            StrategyKind::Grid => {
                grid::check(&space)?;
                None
            }
            StrategyKind::Hyperband {
                min_resource,
                max_resource,
            } => Some(Hyperband::new(*min_resource, *max_resource)?),
            StrategyKind::Random | StrategyKind::Bayesian => None,
        };
        Ok(Tuner {
            kind,
            space,
            goal,
            seed,
            hyperband,
        })
    }

    /// The next assignment to train, given finished trials and those
    /// running (`pending`), or `None` when the strategy is exhausted: Grid
    /// after every grid point, the others once a finite space (categorical
    /// and integer ranges only) has every point tried or running.
    /// Deterministic for (seed, finished, pending), in the order given:
    /// pass both in a stable order (creation order) so a restarted server
    /// proposes the same. Never proposes an assignment already tried or
    /// pending while the space has another.
    pub fn propose(&self, finished: &[Trial], pending: &[Assignment]) -> Option<Assignment> {
        let taken = random::Taken::new(finished, pending);
        match &self.kind {
            StrategyKind::Grid => {
                grid::propose(&self.space, &taken, finished.len() + pending.len())
            }
            StrategyKind::Random | StrategyKind::Hyperband { .. } => {
                let mut draw = draw::Draw::for_history(self.seed, "random", finished, pending);
                random::propose(&self.space, &taken, &mut draw)
            }
            StrategyKind::Bayesian => {
                let mut draw = draw::Draw::for_history(self.seed, "tpe", finished, pending);
                tpe::propose(&self.space, self.goal, finished, pending, &taken, &mut draw)
            }
        }
    }

    /// Grid: the number of grid points (the job count AWS uses for Grid,
    /// saturating at `u64::MAX`); other strategies: `None`.
    pub fn grid_size(&self) -> Option<u64> {
        matches!(self.kind, StrategyKind::Grid).then(|| grid::size(&self.space))
    }

    /// Hyperband's brackets and stop decisions, for a Hyperband tuner.
    pub fn hyperband(&self) -> Option<&Hyperband> {
        self.hyperband.as_ref()
    }

    pub fn kind(&self) -> &StrategyKind {
        &self.kind
    }

    pub fn space(&self) -> &Space {
        &self.space
    }

    pub fn goal(&self) -> Goal {
        self.goal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mixed_space() -> Space {
        Space {
            ranges: vec![
                Range::Continuous {
                    name: "lr".into(),
                    min: 1e-5,
                    max: 1e-1,
                    scaling: Scaling::Auto,
                },
                Range::Integer {
                    name: "depth".into(),
                    min: 2,
                    max: 8,
                    scaling: Scaling::Linear,
                },
                Range::Categorical {
                    name: "opt".into(),
                    values: vec!["sgd".into(), "adam".into()],
                },
            ],
        }
    }

    /// Runs `n` proposals, alternating finishing and leaving some running.
    fn run(kind: StrategyKind, seed: u64, n: usize) -> (Vec<Trial>, Vec<Assignment>) {
        let tuner = Tuner::new(kind, mixed_space(), Goal::Minimize, seed).expect("valid");
        let mut finished: Vec<Trial> = Vec::new();
        let mut pending: Vec<Assignment> = Vec::new();
        for i in 0..n {
            let Some(a) = tuner.propose(&finished, &pending) else {
                break;
            };
            pending.push(a);
            if i % 3 != 0 {
                let a = pending.remove(0);
                let lr: f64 = a["lr"].parse().unwrap_or(1.0);
                let objective = (i % 7 != 0).then_some((lr.log10() + 3.0).powi(2));
                finished.push(Trial {
                    assignment: a,
                    objective,
                });
            }
        }
        (finished, pending)
    }

    #[test]
    fn deterministic_per_seed_for_every_strategy() {
        for kind in [
            StrategyKind::Random,
            StrategyKind::Bayesian,
            StrategyKind::Hyperband {
                min_resource: 1,
                max_resource: 9,
            },
        ] {
            let a = run(kind.clone(), 5, 30);
            assert_eq!(a, run(kind.clone(), 5, 30), "{kind:?}");
            assert_ne!(a, run(kind.clone(), 6, 30), "{kind:?}");
        }
    }

    #[test]
    fn no_duplicates_among_tried_and_pending() {
        for kind in [StrategyKind::Random, StrategyKind::Bayesian] {
            let (finished, pending) = run(kind.clone(), 9, 60);
            let mut all: Vec<&Assignment> = finished
                .iter()
                .map(|t| &t.assignment)
                .chain(&pending)
                .collect();
            let n = all.len();
            all.sort();
            all.dedup();
            assert_eq!(all.len(), n, "{kind:?}");
        }
    }

    #[test]
    fn proposals_lie_in_their_ranges() {
        let (finished, _) = run(StrategyKind::Bayesian, 1, 40);
        for t in finished {
            let lr: f64 = t.assignment["lr"].parse().expect("float");
            let depth: i64 = t.assignment["depth"].parse().expect("integer");
            assert!((1e-5..=1e-1).contains(&lr), "{lr}");
            assert!((2..=8).contains(&depth), "{depth}");
            assert!(["sgd", "adam"].contains(&t.assignment["opt"].as_str()));
        }
    }

    #[test]
    fn small_finite_space_is_exhausted_by_bayesian_too() {
        let space = Space {
            ranges: vec![Range::Integer {
                name: "n".into(),
                min: 1,
                max: 12,
                scaling: Scaling::Auto,
            }],
        };
        let tuner = Tuner::new(StrategyKind::Bayesian, space, Goal::Maximize, 0).expect("valid");
        let mut finished: Vec<Trial> = Vec::new();
        while let Some(a) = tuner.propose(&finished, &[]) {
            let n: f64 = a["n"].parse().expect("integer");
            finished.push(Trial {
                assignment: a,
                objective: Some(n),
            });
            assert!(finished.len() <= 12);
        }
        assert_eq!(finished.len(), 12);
    }

    #[test]
    fn grid_size_and_rejections() {
        let cats = Space {
            ranges: vec![
                Range::Categorical {
                    name: "a".into(),
                    values: vec!["1".into(), "2".into()],
                },
                Range::Categorical {
                    name: "b".into(),
                    values: vec!["x".into(), "y".into(), "z".into()],
                },
            ],
        };
        let grid = Tuner::new(StrategyKind::Grid, cats.clone(), Goal::Minimize, 0).expect("valid");
        assert_eq!(grid.grid_size(), Some(6));
        let random = Tuner::new(StrategyKind::Random, cats, Goal::Minimize, 0).expect("valid");
        assert_eq!(random.grid_size(), None);
        assert!(matches!(
            Tuner::new(StrategyKind::Grid, mixed_space(), Goal::Minimize, 0),
            Err(SpaceError::GridNeedsCategorical { .. })
        ));
        assert!(matches!(
            Tuner::new(
                StrategyKind::Hyperband {
                    min_resource: 10,
                    max_resource: 1
                },
                mixed_space(),
                Goal::Minimize,
                0
            ),
            Err(SpaceError::HyperbandMinAboveMax { .. })
        ));
    }
}
