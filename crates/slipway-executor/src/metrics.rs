//! Metrics from log lines (docs/contracts.md §3.7): each `MetricDefinition`'s regex
//! runs against every line; capture group 1 (or the whole match) parsed
//! as a float is the value; the last value per metric is reported, and
//! every value is collected as a sample of the job's time series (up to
//! [`MAX_SAMPLES`] per host's log), which the runner stores at each log
//! flush.
//!
//! fancy-regex, because sellers' regexes are written for Python/Java
//! engines and may use look-arounds, which the `regex` crate lacks.

use serde::{Deserialize, Serialize};
use slipway_core::ports::metrics::MetricSample;

/// Samples kept per host of a training job (docs/jobs.md "Metrics"): past
/// it values still update the final metrics but are no longer stored as
/// points, so a job printing a metric every step for days cannot fill the
/// disk.
pub const MAX_SAMPLES: u64 = 100_000;

/// One metric's latest value (stored on the job as is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    pub name: String,
    pub value: f64,
    /// Epoch milliseconds of the log line it came from.
    pub timestamp_ms: i64,
}

/// One metric to look for: its name and its regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricPattern {
    pub name: String,
    pub regex: String,
}

pub struct MetricParser {
    defs: Vec<(String, fancy_regex::Regex)>,
    /// Latest value per metric, in definition order.
    latest: Vec<Option<MetricValue>>,
    /// Samples not yet handed to the runner.
    pending: Vec<MetricSample>,
    /// Samples of the job collected so far (stored, and pending).
    collected: u64,
}

/// Compiles a metric's regex, or says why it cannot be used.
pub fn compile(regex: &str) -> Result<fancy_regex::Regex, String> {
    fancy_regex::Regex::new(regex).map_err(|e| e.to_string())
}

impl MetricParser {
    /// Definitions whose regex does not compile are skipped (create-time
    /// checks refuse them; this only guards documents from older versions).
    /// `stored` samples of the job are stored already (a re-attach).
    pub fn new(defs: &[MetricPattern], seed: &[MetricValue], stored: u64) -> Self {
        let defs: Vec<_> = defs
            .iter()
            .filter_map(|d| compile(&d.regex).ok().map(|r| (d.name.clone(), r)))
            .collect();
        let latest = defs
            .iter()
            .map(|(name, _)| seed.iter().find(|m| &m.name == name).cloned())
            .collect();
        Self {
            defs,
            latest,
            pending: Vec::new(),
            collected: stored,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Feeds the `line_no`th line of the output; returns whether any
    /// metric changed.
    pub fn feed(&mut self, line: &str, timestamp_ms: i64, line_no: u64) -> bool {
        let mut changed = false;
        for (i, (name, re)) in self.defs.iter().enumerate() {
            let Ok(Some(caps)) = re.captures(line) else {
                continue;
            };
            let text = caps.get(1).or_else(|| caps.get(0)).map(|m| m.as_str());
            let Some(value) = text.and_then(|t| t.trim().parse::<f64>().ok()) else {
                continue;
            };
            if !value.is_finite() {
                continue;
            }
            if self.collected < MAX_SAMPLES {
                self.collected += 1;
                self.pending.push(MetricSample {
                    metric: name.clone(),
                    line: line_no,
                    timestamp_ms,
                    value,
                });
            }
            self.latest[i] = Some(MetricValue {
                name: name.clone(),
                value,
                timestamp_ms,
            });
            changed = true;
        }
        changed
    }

    /// The samples collected since the last call, for the runner to store.
    pub fn take_samples(&mut self) -> Vec<MetricSample> {
        std::mem::take(&mut self.pending)
    }

    /// `FinalMetricDataList`: the last value of each metric seen so far.
    pub fn finals(&self) -> Vec<MetricValue> {
        self.latest.iter().flatten().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, regex: &str) -> MetricPattern {
        MetricPattern {
            name: name.into(),
            regex: regex.into(),
        }
    }

    #[test]
    fn last_value_per_metric_wins() {
        let defs = [
            def("train:error", "Train_error=(.*?);"),
            def("valid:error", r"Valid_error=(\S+);"),
            def("lookaround", r"(?<=loss )\d+\.\d+"),
        ];
        let mut p = MetricParser::new(&defs, &[], 0);
        assert!(p.feed("Train_error=0.5;  Valid_error=0.7;", 1000, 1));
        assert!(p.feed("Train_error=0.138318;  Valid_error=0.324557;", 2000, 2));
        assert!(!p.feed("nothing here", 3000, 3));
        assert!(!p.feed("Train_error=nan;", 3500, 4));
        assert!(p.feed("loss 1.25", 4000, 5));
        let f = p.finals();
        assert_eq!(f.len(), 3);
        assert_eq!((f[0].value, f[0].timestamp_ms), (0.138318, 2000));
        assert_eq!(f[1].value, 0.324557);
        assert_eq!(f[2].value, 1.25);
    }

    #[test]
    fn seeded_values_survive_a_reattach() {
        let defs = [def("m", "m=([0-9.]+)")];
        let seed = [MetricValue {
            name: "m".into(),
            value: 2.0,
            timestamp_ms: 5,
        }];
        let p = MetricParser::new(&defs, &seed, 0);
        assert_eq!(p.finals()[0].value, 2.0);
    }

    #[test]
    fn every_value_is_a_sample_up_to_the_cap() {
        let defs = [def("m", "m=([0-9.]+)")];
        let mut p = MetricParser::new(&defs, &[], MAX_SAMPLES - 2);
        p.feed("m=1", 10, 7);
        p.feed("m=2", 20, 8);
        p.feed("m=3", 30, 9);
        let s = p.take_samples();
        assert_eq!(s.len(), 2);
        assert_eq!((s[1].line, s[1].timestamp_ms, s[1].value), (8, 20, 2.0));
        assert!(p.take_samples().is_empty());
        // Past the cap the final value still moves.
        assert_eq!(p.finals()[0].value, 3.0);
    }
}
