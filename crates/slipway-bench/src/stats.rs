//! Latency percentiles over every measured request (no sampling, no
//! histogram buckets: a 10 s run is at most a few million `u32`s).

use std::time::Duration;

/// Percentiles of one run, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    /// Nearest-rank percentiles of latencies in microseconds; sorts in place.
    /// `None` when there is nothing to summarise.
    pub fn from_micros(samples: &mut [u32]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let ms = |us: u32| f64::from(us) / 1000.0;
        Some(Self {
            p50_ms: ms(nearest_rank(samples, 50.0)),
            p99_ms: ms(nearest_rank(samples, 99.0)),
            max_ms: ms(samples[samples.len() - 1]),
        })
    }
}

/// The smallest sample with at least `pct`% of samples at or below it.
fn nearest_rank(sorted: &[u32], pct: f64) -> u32 {
    let rank = (pct / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A duration as whole microseconds, saturating (a request over an hour is
/// an error long before it is a sample).
pub fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u32> = (1..=100).rev().map(|i| i * 1000).collect();
        let l = Latency::from_micros(&mut v).unwrap();
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.max_ms, 100.0);

        let mut one = vec![1500];
        let l = Latency::from_micros(&mut one).unwrap();
        assert_eq!((l.p50_ms, l.p99_ms, l.max_ms), (1.5, 1.5, 1.5));

        assert_eq!(Latency::from_micros(&mut []), None);
    }

    #[test]
    fn micros_saturate() {
        assert_eq!(micros(Duration::from_millis(2)), 2000);
        assert_eq!(micros(Duration::from_secs(10_000)), u32::MAX);
    }
}
