//! The Bayesian strategy: a Tree-structured Parzen Estimator (Bergstra et
//! al., "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011), the
//! sequential model-based optimiser behind hyperopt and Optuna's default.
//!
//! AWS does not say which model its Bayesian strategy uses (it describes it
//! as regression over the trials so far, trading exploration against
//! exploitation). TPE is chosen here because it handles categorical,
//! integer and log-scaled ranges natively and needs no linear algebra. The
//! `tpe` crate was considered: it optimises one parameter per optimiser
//! (no joint candidates, so no way to skip assignments already taken) and
//! pulls in a second `rand` major version, so the ~200 lines are here.
//!
//! One proposal:
//! 1. Until [`startup`] trials have an objective, propose at random.
//! 2. Sort the trials with an objective by loss (the objective, negated
//!    when maximising) and split them at the `gamma` quantile into good
//!    (the best `ceil(0.25 n)`, at most 25) and bad (the rest). Failed
//!    trials and running ones join the bad group: the model steers away from
//!    them without ever treating them as good (for running ones this is the
//!    "constant liar" that keeps parallel proposals apart).
//! 3. Per range, on its unit scale, fit a Parzen density to each group:
//!    a truncated Gaussian at each observation, with a bandwidth of the
//!    larger gap to its neighbours (hyperopt's rule), plus a wide prior
//!    component; categoricals get smoothed frequencies.
//! 4. Draw [`CANDIDATES`] points from the good densities and return the one,
//!    not yet taken, with the largest `l(x) / g(x)` (summed in logs over the
//!    ranges).

use crate::draw::Draw;
use crate::random::{self, Taken};
use crate::space::{Coord, Range, Space};
use crate::{Assignment, Goal, Trial};

/// Candidates drawn from the good density per proposal (hyperopt's 24).
const CANDIDATES: usize = 24;
/// The share of trials counted as good, and the cap on their number.
const GAMMA: f64 = 0.25;
const MAX_GOOD: usize = 25;

/// Trials with an objective before the model is used: twice the ranges,
/// at least 5 (too few points fit densities to noise).
pub(crate) fn startup(space: &Space) -> usize {
    (2 * space.ranges.len()).max(5)
}

pub(crate) fn propose(
    space: &Space,
    goal: Goal,
    finished: &[Trial],
    pending: &[Assignment],
    taken: &Taken,
    draw: &mut Draw,
) -> Option<Assignment> {
    let mut scored: Vec<(f64, Vec<Coord>)> = Vec::new();
    let mut bad_extra: Vec<Vec<Coord>> = Vec::new();
    for trial in finished {
        let Some(point) = space.encode(&trial.assignment) else {
            continue;
        };
        match trial.objective {
            Some(v) if v.is_finite() => scored.push((goal.loss(v), point)),
            _ => bad_extra.push(point),
        }
    }
    bad_extra.extend(pending.iter().filter_map(|a| space.encode(a)));
    if scored.len() < startup(space) {
        return random::propose(space, taken, draw);
    }
    // Stable sort: equal losses keep the caller's order, so the split is
    // deterministic.
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n_good = ((GAMMA * scored.len() as f64).ceil() as usize).clamp(1, MAX_GOOD);
    let good: Vec<&Vec<Coord>> = scored[..n_good].iter().map(|(_, p)| p).collect();
    let bad: Vec<&Vec<Coord>> = scored[n_good..]
        .iter()
        .map(|(_, p)| p)
        .chain(&bad_extra)
        .collect();

    let models: Vec<(Density, Density)> = space
        .ranges
        .iter()
        .enumerate()
        .map(|(d, range)| (Density::fit(range, d, &good), Density::fit(range, d, &bad)))
        .collect();

    let mut best: Option<(f64, Assignment)> = None;
    for _ in 0..CANDIDATES {
        let point: Vec<Coord> = models.iter().map(|(l, _)| l.sample(draw)).collect();
        let assignment = space.decode(&point);
        if taken.contains(&assignment) {
            continue;
        }
        let score: f64 = models
            .iter()
            .zip(&point)
            .map(|((l, g), x)| l.log_pdf(*x) - g.log_pdf(*x))
            .sum();
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, assignment));
        }
    }
    match best {
        Some((_, a)) => Some(a),
        // Every candidate was taken (the good region is used up): explore.
        None => random::propose(space, taken, draw),
    }
}

/// A one-dimensional density over one range's coordinate.
enum Density {
    /// Truncated Gaussians on `[0, 1]`, equally weighted.
    Parzen(Vec<(f64, f64)>),
    /// Smoothed category probabilities.
    Categorical(Vec<f64>),
}

/// The prior component: centred, as wide as the range.
const PRIOR: (f64, f64) = (0.5, 1.0);

impl Density {
    fn fit(range: &Range, dim: usize, points: &[&Vec<Coord>]) -> Density {
        match range {
            Range::Categorical { values, .. } => {
                // Counts plus a prior of total weight 1 spread evenly.
                let k = values.len().max(1) as f64;
                let mut weights = vec![1.0 / k; values.len()];
                for p in points {
                    if let Some(Coord::Index(i)) = p.get(dim) {
                        if let Some(w) = weights.get_mut(*i) {
                            *w += 1.0;
                        }
                    }
                }
                let total: f64 = weights.iter().sum();
                Density::Categorical(weights.into_iter().map(|w| w / total).collect())
            }
            _ => {
                let mut mus: Vec<f64> = points
                    .iter()
                    .filter_map(|p| match p.get(dim) {
                        Some(Coord::Unit(u)) => Some(*u),
                        _ => None,
                    })
                    .collect();
                mus.sort_by(f64::total_cmp);
                // hyperopt: each bandwidth is the larger distance to a
                // neighbour (the prior's centre counts as one), clipped to
                // [1 / min(100, n + 1), 1].
                let mut with_prior = mus.clone();
                with_prior.push(PRIOR.0);
                with_prior.sort_by(f64::total_cmp);
                let min_sigma = 1.0 / (mus.len() as f64 + 1.0).min(100.0);
                let mut components: Vec<(f64, f64)> = mus
                    .iter()
                    .map(|&mu| {
                        let i = with_prior.partition_point(|&x| x < mu);
                        let left = if i == 0 { mu } else { mu - with_prior[i - 1] };
                        let right = with_prior.get(i + 1).map_or(1.0 - mu, |next| next - mu);
                        (mu, left.max(right).clamp(min_sigma, 1.0))
                    })
                    .collect();
                components.push(PRIOR);
                Density::Parzen(components)
            }
        }
    }

    fn sample(&self, draw: &mut Draw) -> Coord {
        match self {
            Density::Categorical(p) => {
                let mut u = draw.unit();
                for (i, w) in p.iter().enumerate() {
                    if u < *w {
                        return Coord::Index(i);
                    }
                    u -= w;
                }
                Coord::Index(p.len().saturating_sub(1))
            }
            Density::Parzen(components) => {
                let pick = usize::try_from(draw.below(components.len() as u128)).unwrap_or(0);
                let (mu, sigma) = components.get(pick).copied().unwrap_or(PRIOR);
                // Rejection from the untruncated Gaussian: with sigma <= 1 and
                // mu in [0, 1] at least a third of its mass lies in [0, 1].
                for _ in 0..64 {
                    let x = mu + sigma * draw.normal();
                    if (0.0..=1.0).contains(&x) {
                        return Coord::Unit(x);
                    }
                }
                Coord::Unit(mu.clamp(0.0, 1.0))
            }
        }
    }

    fn log_pdf(&self, x: Coord) -> f64 {
        let p = match (self, x) {
            (Density::Categorical(p), Coord::Index(i)) => p.get(i).copied().unwrap_or(0.0),
            (Density::Parzen(components), Coord::Unit(u)) => {
                components
                    .iter()
                    .map(|&(mu, sigma)| truncated_normal_pdf(u, mu, sigma))
                    .sum::<f64>()
                    / components.len() as f64
            }
            _ => 0.0,
        };
        p.max(1e-300).ln()
    }
}

fn truncated_normal_pdf(x: f64, mu: f64, sigma: f64) -> f64 {
    let z = (x - mu) / sigma;
    let mass = normal_cdf((1.0 - mu) / sigma) - normal_cdf(-mu / sigma);
    let pdf = (-0.5 * z * z).exp() / (sigma * (std::f64::consts::TAU).sqrt());
    pdf / mass.max(1e-12)
}

fn normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
}

/// Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7): ample for
/// comparing densities.
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let y = 1.0 - poly * (-x * x).exp();
    if x >= 0.0 {
        y
    } else {
        -y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::Scaling;
    use crate::{StrategyKind, Tuner};

    fn branin(a: &Assignment) -> f64 {
        let x1: f64 = a["x1"].parse().unwrap_or(f64::NAN);
        let x2: f64 = a["x2"].parse().unwrap_or(f64::NAN);
        let pi = std::f64::consts::PI;
        let b = 5.1 / (4.0 * pi * pi);
        let c = 5.0 / pi;
        let t = 1.0 / (8.0 * pi);
        (x2 - b * x1 * x1 + c * x1 - 6.0).powi(2) + 10.0 * (1.0 - t) * x1.cos() + 10.0
    }

    fn branin_space() -> Space {
        Space {
            ranges: vec![
                Range::Continuous {
                    name: "x1".into(),
                    min: -5.0,
                    max: 10.0,
                    scaling: Scaling::Linear,
                },
                Range::Continuous {
                    name: "x2".into(),
                    min: 0.0,
                    max: 15.0,
                    scaling: Scaling::Linear,
                },
            ],
        }
    }

    /// The best Branin value after `budget` sequential trials.
    fn best_after(kind: StrategyKind, seed: u64, budget: usize) -> f64 {
        let tuner = Tuner::new(kind, branin_space(), Goal::Minimize, seed).expect("valid");
        let mut trials: Vec<Trial> = Vec::new();
        for _ in 0..budget {
            let a = tuner.propose(&trials, &[]).expect("continuous space");
            let v = branin(&a);
            trials.push(Trial {
                assignment: a,
                objective: Some(v),
            });
        }
        trials
            .iter()
            .filter_map(|t| t.objective)
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn beats_random_on_branin() {
        let seeds = 0..30u64;
        let budget = 30;
        let mean = |kind: StrategyKind| {
            seeds
                .clone()
                .map(|s| best_after(kind.clone(), s, budget))
                .sum::<f64>()
                / seeds.clone().count() as f64
        };
        let bayes = mean(StrategyKind::Bayesian);
        let random = mean(StrategyKind::Random);
        // Branin's minimum is 0.397887.
        assert!(
            bayes < random * 0.8,
            "mean best: bayesian {bayes:.4}, random {random:.4}"
        );
    }

    /// As `best_after`, with three children running at once: each proposal
    /// sees the two still running as pending.
    fn best_after_parallel(kind: StrategyKind, seed: u64, budget: usize) -> f64 {
        let tuner = Tuner::new(kind, branin_space(), Goal::Minimize, seed).expect("valid");
        let mut trials: Vec<Trial> = Vec::new();
        let mut running: Vec<Assignment> = Vec::new();
        while trials.len() < budget {
            while running.len() < 3 {
                let a = tuner.propose(&trials, &running).expect("continuous space");
                running.push(a);
            }
            let a = running.remove(0);
            let v = branin(&a);
            trials.push(Trial {
                assignment: a,
                objective: Some(v),
            });
        }
        trials
            .iter()
            .filter_map(|t| t.objective)
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn beats_random_with_parallel_children() {
        let mean = |kind: StrategyKind| {
            (0..30u64)
                .map(|s| best_after_parallel(kind.clone(), s, 30))
                .sum::<f64>()
                / 30.0
        };
        let bayes = mean(StrategyKind::Bayesian);
        let random = mean(StrategyKind::Random);
        assert!(
            bayes < random * 0.8,
            "mean best: bayesian {bayes:.4}, random {random:.4}"
        );
    }

    #[test]
    fn maximising_climbs_too() {
        // -(x - 0.7)^2 over [0, 1], maximised: the proposals concentrate.
        let space = Space {
            ranges: vec![Range::Continuous {
                name: "x".into(),
                min: 0.0,
                max: 1.0,
                scaling: Scaling::Linear,
            }],
        };
        let tuner = Tuner::new(StrategyKind::Bayesian, space, Goal::Maximize, 3).expect("valid");
        let mut trials: Vec<Trial> = Vec::new();
        for _ in 0..30 {
            let a = tuner.propose(&trials, &[]).expect("continuous");
            let x: f64 = a["x"].parse().expect("float");
            trials.push(Trial {
                assignment: a,
                objective: Some(-(x - 0.7).powi(2)),
            });
        }
        let late: Vec<f64> = trials[20..]
            .iter()
            .map(|t| t.assignment["x"].parse::<f64>().unwrap_or(0.0))
            .collect();
        let near = late.iter().filter(|x| (**x - 0.7).abs() < 0.15).count();
        assert!(near >= 6, "{late:?}");
    }

    #[test]
    fn handles_categoricals_and_failures() {
        // The objective only depends on the category; "b" is best. Failed
        // trials at "c" must not pull proposals there.
        let space = Space {
            ranges: vec![
                Range::Categorical {
                    name: "c".into(),
                    values: vec!["a".into(), "b".into(), "c".into()],
                },
                Range::Continuous {
                    name: "x".into(),
                    min: 0.0,
                    max: 1.0,
                    scaling: Scaling::Linear,
                },
            ],
        };
        let tuner = Tuner::new(StrategyKind::Bayesian, space, Goal::Minimize, 11).expect("valid");
        let mut trials: Vec<Trial> = Vec::new();
        for _ in 0..40 {
            let a = tuner.propose(&trials, &[]).expect("continuous");
            let objective = match a["c"].as_str() {
                "a" => Some(1.0),
                "b" => Some(0.0),
                _ => None,
            };
            trials.push(Trial {
                assignment: a,
                objective,
            });
        }
        let late_b = trials[25..]
            .iter()
            .filter(|t| t.assignment["c"] == "b")
            .count();
        assert!(late_b >= 10, "{late_b} of 15 late proposals at b");
    }

    #[test]
    fn density_integrates_to_one() {
        let p1 = vec![Coord::Unit(0.1)];
        let p2 = vec![Coord::Unit(0.15)];
        let p3 = vec![Coord::Unit(0.9)];
        let range = Range::Continuous {
            name: "x".into(),
            min: 0.0,
            max: 1.0,
            scaling: Scaling::Linear,
        };
        let d = Density::fit(&range, 0, &[&p1, &p2, &p3]);
        let n = 10_000;
        let integral: f64 = (0..n)
            .map(|i| d.log_pdf(Coord::Unit((i as f64 + 0.5) / n as f64)).exp())
            .sum::<f64>()
            / n as f64;
        assert!((integral - 1.0).abs() < 1e-3, "{integral}");
    }
}
