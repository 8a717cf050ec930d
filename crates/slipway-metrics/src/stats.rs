//! Statistics over periods, as CloudWatch computes them: the start time is
//! rounded down the way CloudWatch rounds it, points fall into
//! `[start + k·period, start + (k+1)·period)`, and each period with at
//! least one point becomes one datapoint stamped with its start.

use slipway_core::ports::metrics::MetricPoint;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// A statistic a caller may ask for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
    /// `pNN` or `pNN.NN`: the percentile, 0 to 100.
    Percentile(f64),
}

impl Statistic {
    /// One of the five standard statistics by its CloudWatch name.
    pub fn standard(name: &str) -> Option<Self> {
        Some(match name {
            "SampleCount" => Self::SampleCount,
            "Average" => Self::Average,
            "Sum" => Self::Sum,
            "Minimum" => Self::Minimum,
            "Maximum" => Self::Maximum,
            _ => return None,
        })
    }

    /// A percentile as ExtendedStatistics names it (`p90`, `p99.9`).
    pub fn percentile(name: &str) -> Option<Self> {
        let digits = name.strip_prefix('p')?;
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let plain = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !plain(whole, 3) || !(frac.is_empty() || plain(frac, 2)) {
            return None;
        }
        let p: f64 = digits.parse().ok()?;
        (0.0..=100.0).contains(&p).then_some(Self::Percentile(p))
    }

    /// A MetricStat's `Stat`: a standard statistic or a percentile.
    pub fn parse(name: &str) -> Option<Self> {
        Self::standard(name).or_else(|| Self::percentile(name))
    }

    /// This statistic over `values` (not empty).
    pub fn of(self, values: &[f64]) -> f64 {
        let n = values.len() as f64;
        match self {
            Self::SampleCount => n,
            Self::Sum => values.iter().sum(),
            Self::Average => values.iter().sum::<f64>() / n.max(1.0),
            Self::Minimum => values.iter().copied().fold(f64::INFINITY, f64::min),
            Self::Maximum => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Self::Percentile(p) => nearest_rank(values, p),
        }
    }
}

/// The nearest-rank percentile: the smallest value with at least p% of the
/// values at or below it.
fn nearest_rank(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Whether CloudWatch accepts `period_s`: 1, 5, 10, 20, 30, 60 or any
/// multiple of 60 (below a minute only for high-resolution metrics, which
/// training metrics are: each log line keeps its own second).
pub fn valid_period(period_s: i64) -> bool {
    matches!(period_s, 1 | 5 | 10 | 20 | 30) || (period_s > 0 && period_s % 60 == 0)
}

/// The start of the first period: CloudWatch rounds StartTime down to the
/// whole minute when it is less than 15 days old, to 5 minutes when up to
/// 63 days, to the hour beyond; a period under a minute rounds to its own
/// multiple of seconds instead.
pub fn aligned_start(start_ms: i64, period_s: i64, now_ms: i64) -> i64 {
    let age = now_ms - start_ms;
    let unit = if period_s < 60 {
        period_s.max(1) * 1_000
    } else if age < 15 * DAY_MS {
        MINUTE_MS
    } else if age < 63 * DAY_MS {
        5 * MINUTE_MS
    } else {
        60 * MINUTE_MS
    };
    start_ms.div_euclid(unit) * unit
}

/// How many periods `[start, end)` spans from its aligned start.
pub fn period_count(aligned_start_ms: i64, end_ms: i64, period_s: i64) -> i64 {
    let period_ms = period_s.max(1) * 1_000;
    let span = (end_ms - aligned_start_ms).max(0);
    (span + period_ms - 1) / period_ms
}

/// The values of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// The period's start (epoch milliseconds).
    pub start_ms: i64,
    pub values: Vec<f64>,
}

/// Groups `points` (in time order) into periods from `aligned_start_ms`;
/// points before it or at or after `end_ms` are left out. Periods without
/// points are absent, as in CloudWatch's answers.
pub fn buckets(
    points: &[MetricPoint],
    aligned_start_ms: i64,
    end_ms: i64,
    period_s: i64,
) -> Vec<Bucket> {
    let period_ms = period_s.max(1) * 1_000;
    let mut out: Vec<Bucket> = Vec::new();
    for p in points {
        if p.timestamp_ms < aligned_start_ms || p.timestamp_ms >= end_ms {
            continue;
        }
        let start_ms =
            aligned_start_ms + (p.timestamp_ms - aligned_start_ms) / period_ms * period_ms;
        match out.last_mut() {
            Some(b) if b.start_ms == start_ms => b.values.push(p.value),
            _ => out.push(Bucket {
                start_ms,
                values: vec![p.value],
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(timestamp_ms: i64, value: f64) -> MetricPoint {
        MetricPoint {
            timestamp_ms,
            value,
        }
    }

    #[test]
    fn points_fall_into_periods_from_the_rounded_start() {
        // Start 12:00:34 rounds to 12:00:00; periods of 60 s.
        let t0 = 1_700_000_040_000; // a whole minute
        let start = aligned_start(t0 + 34_000, 60, t0 + 3_600_000);
        assert_eq!(start, t0);
        let points = [
            pt(t0 + 1_000, 1.0),
            pt(t0 + 59_999, 3.0),
            pt(t0 + 60_000, 10.0),
            pt(t0 + 250_000, 7.0),
            pt(t0 + 300_000, 99.0), // at the end: excluded
        ];
        let b = buckets(&points, start, t0 + 300_000, 60);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].start_ms, b[0].values.clone()), (t0, vec![1.0, 3.0]));
        assert_eq!(b[1].start_ms, t0 + 60_000);
        assert_eq!(b[2].start_ms, t0 + 240_000);
        assert_eq!(Statistic::Average.of(&b[0].values), 2.0);
        assert_eq!(Statistic::Sum.of(&b[0].values), 4.0);
        assert_eq!(Statistic::SampleCount.of(&b[0].values), 2.0);
        assert_eq!(Statistic::Minimum.of(&b[0].values), 1.0);
        assert_eq!(Statistic::Maximum.of(&b[0].values), 3.0);
    }

    #[test]
    fn old_start_times_round_coarser_and_short_periods_to_their_seconds() {
        let now = 100 * DAY_MS;
        let start = now - 20 * DAY_MS + 7 * MINUTE_MS + 5_000;
        assert_eq!(
            aligned_start(start, 60, now),
            now - 20 * DAY_MS + 5 * MINUTE_MS
        );
        let start = now - 70 * DAY_MS + 59 * MINUTE_MS;
        assert_eq!(aligned_start(start, 300, now), now - 70 * DAY_MS);
        assert_eq!(aligned_start(now - 7_500, 5, now), now - 10_000);
        assert_eq!(period_count(0, 120_000, 60), 2);
        assert_eq!(period_count(0, 120_001, 60), 3);
        assert_eq!(period_count(10, 0, 60), 0);
    }

    #[test]
    fn periods_and_statistic_names_are_checked_like_cloudwatch() {
        for ok in [1, 5, 10, 20, 30, 60, 120, 3600] {
            assert!(valid_period(ok), "{ok}");
        }
        for bad in [0, -60, 2, 45, 90] {
            assert!(!valid_period(bad), "{bad}");
        }
        assert_eq!(Statistic::parse("p90"), Some(Statistic::Percentile(90.0)));
        assert_eq!(Statistic::parse("p99.9"), Some(Statistic::Percentile(99.9)));
        assert_eq!(Statistic::parse("p100"), Some(Statistic::Percentile(100.0)));
        for bad in ["p101", "p", "p9.999", "P90", "average", "p-1", "p1e2"] {
            assert_eq!(Statistic::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(Statistic::Percentile(90.0).of(&v), 9.0);
        assert_eq!(Statistic::Percentile(50.0).of(&v), 5.0);
        assert_eq!(Statistic::Percentile(0.0).of(&v), 1.0);
        assert_eq!(Statistic::Percentile(100.0).of(&v), 10.0);
        assert_eq!(Statistic::Percentile(99.0).of(&[4.0]), 4.0);
    }
}
