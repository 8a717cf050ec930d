//! `TrainingJobEarlyStoppingType=Auto`: the median stopping rule.
//!
//! AWS, after each epoch of a training job: compute the running average of
//! the objective of every other training job up to the same epoch, take the
//! median of those averages, and stop the job if its objective at this
//! epoch is worse than that median.

use crate::Goal;

/// Peers that must have reached the epoch before the rule stops anything.
/// AWS publishes no minimum; with one or two peers the median is one noisy
/// curve, and the rule would stop most of the first children.
pub const MEDIAN_RULE_MIN_PEERS: usize = 3;

/// Whether a running child should stop now. `curve` is this child's
/// intermediate objective values in order (its last value is the current
/// epoch's); `others` are the other children's curves (completed, stopped
/// or running). Only peers that reached this epoch count; with fewer than
/// [`MEDIAN_RULE_MIN_PEERS`] of them the child goes on. Non-finite values
/// are not comparable and never stop a child.
pub fn median_rule_should_stop(curve: &[f64], others: &[Vec<f64>], goal: Goal) -> bool {
    let epoch = curve.len();
    let Some(&current) = curve.last() else {
        return false;
    };
    if !current.is_finite() {
        return false;
    }
    let mut averages: Vec<f64> = others
        .iter()
        .filter(|c| c.len() >= epoch)
        .map(|c| c[..epoch].iter().sum::<f64>() / epoch as f64)
        .filter(|a| a.is_finite())
        .collect();
    if averages.len() < MEDIAN_RULE_MIN_PEERS {
        return false;
    }
    averages.sort_by(f64::total_cmp);
    let mid = averages.len() / 2;
    let median = if averages.len() % 2 == 1 {
        averages[mid]
    } else {
        (averages[mid - 1] + averages[mid]) / 2.0
    };
    goal.worse(current, median)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers() -> Vec<Vec<f64>> {
        // Running averages at epoch 2: 0.9, 0.7, 0.5 -> median 0.7.
        vec![vec![1.0, 0.8], vec![0.8, 0.6, 0.4], vec![0.6, 0.4]]
    }

    #[test]
    fn stops_a_child_worse_than_the_median_of_running_averages() {
        assert!(median_rule_should_stop(
            &[0.9, 0.75],
            &peers(),
            Goal::Minimize
        ));
        assert!(!median_rule_should_stop(
            &[0.9, 0.65],
            &peers(),
            Goal::Minimize
        ));
        // Equal to the median is not worse.
        assert!(!median_rule_should_stop(
            &[0.9, 0.7],
            &peers(),
            Goal::Minimize
        ));
        // Maximising flips the comparison.
        assert!(median_rule_should_stop(
            &[0.9, 0.65],
            &peers(),
            Goal::Maximize
        ));
        assert!(!median_rule_should_stop(
            &[0.9, 0.75],
            &peers(),
            Goal::Maximize
        ));
    }

    #[test]
    fn uses_running_averages_not_current_values() {
        // At epoch 2 every peer is at 0.1, but their running averages are
        // (1.0 + 0.1) / 2 = 0.55: a child at 0.5 is better and goes on.
        let peers = vec![vec![1.0, 0.1]; 3];
        assert!(!median_rule_should_stop(
            &[0.5, 0.5],
            &peers,
            Goal::Minimize
        ));
        assert!(median_rule_should_stop(&[0.5, 0.6], &peers, Goal::Minimize));
    }

    #[test]
    fn needs_enough_peers_at_the_same_epoch() {
        // Only two peers reached epoch 3.
        let peers = vec![vec![0.1, 0.1, 0.1], vec![0.1, 0.1, 0.1], vec![0.1, 0.1]];
        assert!(!median_rule_should_stop(
            &[9.0, 9.0, 9.0],
            &peers,
            Goal::Minimize
        ));
        assert!(!median_rule_should_stop(&[], &peers, Goal::Minimize));
        assert!(median_rule_should_stop(&[9.0, 9.0], &peers, Goal::Minimize));
    }
}
