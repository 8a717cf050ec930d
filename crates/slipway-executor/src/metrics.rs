//! Metrics from log lines (docs/contracts.md §3.7): each `MetricDefinition`'s regex
//! runs against every line; capture group 1 (or the whole match) parsed
//! as a float is the value; the last value per metric is reported.
//!
//! fancy-regex, because sellers' regexes are written for Python/Java
//! engines and may use look-arounds, which the `regex` crate lacks.

use serde::{Deserialize, Serialize};

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
}

/// Compiles a metric's regex, or says why it cannot be used.
pub fn compile(regex: &str) -> Result<fancy_regex::Regex, String> {
    fancy_regex::Regex::new(regex).map_err(|e| e.to_string())
}

impl MetricParser {
    /// Definitions whose regex does not compile are skipped (create-time
    /// checks refuse them; this only guards documents from older versions).
    pub fn new(defs: &[MetricPattern], seed: &[MetricValue]) -> Self {
        let defs: Vec<_> = defs
            .iter()
            .filter_map(|d| compile(&d.regex).ok().map(|r| (d.name.clone(), r)))
            .collect();
        let latest = defs
            .iter()
            .map(|(name, _)| seed.iter().find(|m| &m.name == name).cloned())
            .collect();
        Self { defs, latest }
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Feeds one log line; returns whether any metric changed.
    pub fn feed(&mut self, line: &str, timestamp_ms: i64) -> bool {
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
            self.latest[i] = Some(MetricValue {
                name: name.clone(),
                value,
                timestamp_ms,
            });
            changed = true;
        }
        changed
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
        let mut p = MetricParser::new(&defs, &[]);
        assert!(p.feed("Train_error=0.5;  Valid_error=0.7;", 1000));
        assert!(p.feed("Train_error=0.138318;  Valid_error=0.324557;", 2000));
        assert!(!p.feed("nothing here", 3000));
        assert!(!p.feed("Train_error=nan;", 3500));
        assert!(p.feed("loss 1.25", 4000));
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
        let p = MetricParser::new(&defs, &seed);
        assert_eq!(p.finals()[0].value, 2.0);
    }
}
