//! The Hyperband strategy's early stopping: brackets of successive halving
//! (Li et al., "Hyperband", JMLR 2018) with `eta = 3`, decided
//! asynchronously as in ASHA (Li et al., MLSys 2020), since children run in
//! parallel and a job cannot be paused.
//!
//! The resource is the number of intermediate objective values a child has
//! reported (its epochs). With `R = max / min`, there are
//! `s_max + 1 = floor(log_3 R) + 1` brackets. Bracket `s` starts
//! `n_s = ceil((s_max + 1) / (s + 1) * 3^s)` children per round and has
//! rungs at `floor(max / 3^(s - k))` for `k = 0..s`: at each rung below
//! `max` only the best third of the children that reached it go on;
//! bracket 0 trains every child to `max` (no stopping). Children are dealt
//! to brackets in one round's order, the most aggressive bracket first.
//!
//! AWS's rules kept: a child is never stopped before `MinResource`, and is
//! stopped when it reaches `MaxResource`. Proposals for Hyperband are
//! random (the Hyperband paper's sampler).

use serde::{Deserialize, Serialize};

use crate::{Goal, SpaceError};

/// The reduction factor: each rung keeps a third.
pub const ETA: u32 = 3;

/// One bracket: the resources at which its children are judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bracket {
    /// `s`: the number of halvings (0 = train everything to the end).
    pub index: u32,
    /// Children a round of this bracket starts.
    pub children: u64,
    /// The resources at which children are compared, ascending; the last
    /// is `max_resource`, where every child stops.
    pub rungs: Vec<u32>,
}

/// The brackets of one Hyperband configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hyperband {
    min_resource: u32,
    max_resource: u32,
    /// Most aggressive first (largest `s`).
    brackets: Vec<Bracket>,
}

impl Hyperband {
    /// The brackets between `min_resource` (at least 1) and `max_resource`.
    pub fn new(min_resource: u32, max_resource: u32) -> Result<Hyperband, SpaceError> {
        if min_resource == 0 {
            return Err(SpaceError::HyperbandMinZero);
        }
        if min_resource > max_resource {
            return Err(SpaceError::HyperbandMinAboveMax {
                min: min_resource,
                max: max_resource,
            });
        }
        // s_max = floor(log_eta(max / min)) in integers: the largest s with
        // min * eta^s <= max.
        let mut s_max = 0u32;
        while u64::from(min_resource) * u64::from(ETA).pow(s_max + 1) <= u64::from(max_resource) {
            s_max += 1;
        }
        let brackets = (0..=s_max)
            .rev()
            .map(|s| {
                let eta_s = u64::from(ETA).pow(s);
                let children = (u64::from(s_max + 1) * eta_s).div_ceil(u64::from(s + 1));
                let rungs = (0..=s)
                    .map(|k| {
                        let r = u64::from(max_resource) / u64::from(ETA).pow(s - k);
                        u32::try_from(r).unwrap_or(max_resource).max(min_resource)
                    })
                    .collect();
                Bracket {
                    index: s,
                    children,
                    rungs,
                }
            })
            .collect();
        Ok(Hyperband {
            min_resource,
            max_resource,
            brackets,
        })
    }

    pub fn min_resource(&self) -> u32 {
        self.min_resource
    }

    pub fn max_resource(&self) -> u32 {
        self.max_resource
    }

    /// All brackets, most aggressive first.
    pub fn brackets(&self) -> &[Bracket] {
        &self.brackets
    }

    /// The bracket child `i` (0-based, in creation order) runs: one round
    /// deals `children` of each bracket in turn, then repeats.
    pub fn bracket_of(&self, i: u64) -> &Bracket {
        let round: u64 = self.brackets.iter().map(|b| b.children).sum();
        let mut at = i % round.max(1);
        for bracket in &self.brackets {
            if at < bracket.children {
                return bracket;
            }
            at -= bracket.children;
        }
        // Unreachable: `at < round`. The last bracket trains fully.
        &self.brackets[self.brackets.len() - 1]
    }

    /// Whether a running child of `bracket` should stop now, at resource
    /// `r = curve.len()`. `peers` are the curves of the other children of the
    /// same bracket (any state). At a rung below the maximum the child goes
    /// on only if it ranks in the best `max(1, floor(n / 3))` of the `n`
    /// children (itself included) that reached the rung, by their value
    /// there; early arrivals are judged against those already there (ASHA).
    /// Ties go the child's way.
    pub fn should_stop(
        &self,
        bracket: &Bracket,
        curve: &[f64],
        peers: &[Vec<f64>],
        goal: Goal,
    ) -> bool {
        let r = curve.len();
        if r < self.min_resource as usize {
            return false;
        }
        if r >= self.max_resource as usize {
            return true;
        }
        if !bracket.rungs.iter().any(|&rung| rung as usize == r) {
            return false;
        }
        let Some(&value) = curve.last() else {
            return false;
        };
        if !value.is_finite() {
            // A child whose metric is NaN at a rung cannot be ranked as good.
            return true;
        }
        let at_rung: Vec<f64> = peers
            .iter()
            .filter_map(|p| p.get(r - 1).copied())
            .filter(|v| v.is_finite())
            .collect();
        let n = at_rung.len() + 1;
        let keep = (n / ETA as usize).max(1);
        let better = at_rung.iter().filter(|&&v| goal.worse(value, v)).count();
        better >= keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_follow_the_paper_for_1_to_81() {
        let hb = Hyperband::new(1, 81).expect("valid");
        let shape: Vec<(u32, u64, Vec<u32>)> = hb
            .brackets()
            .iter()
            .map(|b| (b.index, b.children, b.rungs.clone()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (4, 81, vec![1, 3, 9, 27, 81]),
                (3, 34, vec![3, 9, 27, 81]),
                (2, 15, vec![9, 27, 81]),
                (1, 8, vec![27, 81]),
                (0, 5, vec![81]),
            ]
        );
    }

    #[test]
    fn rungs_respect_min_resource_and_odd_ranges() {
        let hb = Hyperband::new(2, 20).expect("valid");
        // 2 * 3^2 = 18 <= 20 < 54: s_max = 2.
        assert_eq!(hb.brackets()[0].rungs, vec![2, 6, 20]);
        let one = Hyperband::new(5, 5).expect("valid");
        assert_eq!(one.brackets().len(), 1);
        assert_eq!(one.brackets()[0].rungs, vec![5]);
        assert_eq!(Hyperband::new(0, 5), Err(SpaceError::HyperbandMinZero));
        assert!(matches!(
            Hyperband::new(6, 5),
            Err(SpaceError::HyperbandMinAboveMax { .. })
        ));
    }

    #[test]
    fn children_are_dealt_by_round() {
        let hb = Hyperband::new(1, 9).expect("valid");
        // s_max = 2: brackets of 9, 5 (ceil(3/2*3)=5), 3 children.
        let counts: Vec<u64> = hb.brackets().iter().map(|b| b.children).collect();
        assert_eq!(counts, vec![9, 5, 3]);
        assert_eq!(hb.bracket_of(0).index, 2);
        assert_eq!(hb.bracket_of(8).index, 2);
        assert_eq!(hb.bracket_of(9).index, 1);
        assert_eq!(hb.bracket_of(14).index, 0);
        assert_eq!(hb.bracket_of(17).index, 2);
    }

    #[test]
    fn stop_decisions_at_rungs() {
        let hb = Hyperband::new(1, 9).expect("valid");
        let b = hb.brackets()[0].clone(); // rungs 1, 3, 9
        let g = Goal::Minimize;
        let peers: Vec<Vec<f64>> = vec![vec![0.5], vec![0.6], vec![0.7], vec![0.8], vec![0.9]];
        // At rung 1 with 6 children: keep the best 2. 0.55 ranks 2nd: goes on.
        assert!(!hb.should_stop(&b, &[0.55], &peers, g));
        // 0.65 ranks 3rd: stops.
        assert!(hb.should_stop(&b, &[0.65], &peers, g));
        // The first to arrive has nobody to lose to.
        assert!(!hb.should_stop(&b, &[5.0], &[], g));
        // Between rungs nothing is decided.
        assert!(!hb.should_stop(&b, &[9.0, 9.0], &peers, g));
        // At max every child stops.
        assert!(hb.should_stop(&b, &[0.1; 9], &peers, g));
        // Maximising: the largest values go on.
        assert!(!hb.should_stop(&b, &[0.85], &peers, Goal::Maximize));
        assert!(hb.should_stop(&b, &[0.55], &peers, Goal::Maximize));
    }

    #[test]
    fn never_stops_below_min_resource() {
        let hb = Hyperband::new(3, 27).expect("valid");
        let b = hb.brackets()[0].clone();
        assert_eq!(b.rungs, vec![3, 9, 27]);
        let peers = vec![vec![0.0; 5]; 5];
        assert!(!hb.should_stop(&b, &[9.0, 9.0], &peers, Goal::Minimize));
        assert!(hb.should_stop(&b, &[9.0, 9.0, 9.0], &peers, Goal::Minimize));
        // The fully-trained bracket only stops at max.
        let last = hb.brackets()[hb.brackets().len() - 1].clone();
        assert!(!hb.should_stop(&last, &[9.0; 9], &peers, Goal::Minimize));
        assert!(hb.should_stop(&last, &[9.0; 27], &peers, Goal::Minimize));
    }
}
