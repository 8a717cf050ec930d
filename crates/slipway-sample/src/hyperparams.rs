//! Hyperparameters of `train`, as the platform writes them: a JSON object
//! whose values are all strings (`docs/contracts.md` §3.2).
//!
//! Unknown keys are ignored, as real algorithms do (the SageMaker SDK adds
//! its own). A known key with a value that does not parse is an error, so a
//! platform that mangles values (or sends numbers instead of strings) fails
//! the job with a message that says so.

use serde_json::{Map, Value};
use std::time::Duration;

/// What `train` should do; everything but `Normal` is a deliberate fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Learn and write the model.
    Normal,
    /// Write `/opt/ml/output/failure` and exit 1.
    Fail,
    /// Print a few lines and exit 3 without a failure file.
    Crash,
    /// Allocate and touch memory until the kernel kills the process.
    Oom,
    /// Never finish; SIGTERM still ends it.
    Hang,
    /// Never finish and ignore SIGTERM (only SIGKILL ends it).
    IgnoreSigterm,
    /// Train, then write `files` extra files in nested directories.
    ManyFiles,
    /// Sleep `seconds`, then train.
    Slow,
    /// Print `metric_lines` metric lines, then train.
    Metrics,
    /// Try to download `SAMPLE_DIAL_URL` first (as `SAMPLE_MODE=dial-out`,
    /// for jobs that cannot set an environment, e.g. algorithm validation),
    /// then train normally.
    DialOut,
}

impl Mode {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "" | "normal" | "train" => Self::Normal,
            "fail" => Self::Fail,
            "crash" => Self::Crash,
            "oom" => Self::Oom,
            "hang" => Self::Hang,
            "ignore-sigterm" => Self::IgnoreSigterm,
            "many-files" => Self::ManyFiles,
            "slow" => Self::Slow,
            "metrics" => Self::Metrics,
            "dial-out" => Self::DialOut,
            _ => return None,
        })
    }
}

/// Parsed hyperparameters with their defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Hyperparameters {
    /// `mode` (default `normal`).
    pub mode: Mode,
    /// `epochs` (default 200): gradient-descent passes.
    pub epochs: u32,
    /// `learning_rate` (default 0.1), in standardised feature space.
    pub learning_rate: f64,
    /// `l2` (default 0): ridge penalty.
    pub l2: f64,
    /// `files` (default 5000): extra files for `many-files`.
    pub files: u32,
    /// `seconds` (default 30): delay for `slow`.
    pub seconds: Duration,
    /// `epoch_ms` (default 0): a pause after each epoch line, so a run has
    /// a learning curve in time (tuning's early stopping and Hyperband).
    pub epoch_ms: u64,
    /// `metric_lines` (default 1000): lines printed by `metrics`.
    pub metric_lines: u32,
    /// `failure_message`: replaces the text `fail` writes.
    pub failure_message: Option<String>,
    /// `pipe_passes` (default 1): in Pipe mode, how many FIFOs of the
    /// `train` channel (`train_0`, `train_1`, …) are read; every pass must
    /// give the same records (in any order: ShuffleConfig).
    pub pipe_passes: u32,
    /// `pipe_read_bytes` (default 0: all): in Pipe mode, a first pass that
    /// reads only this many bytes of `train_0` and closes it early; the
    /// records then come from the passes after it.
    pub pipe_read_bytes: u64,
    /// `fail_host` (e.g. `algo-2`): in a distributed job, that host fails
    /// (`cluster.rs`).
    pub fail_host: Option<String>,
    /// `probe`: comma-separated `host:port` addresses to try to connect
    /// to at start, each reported in the log (`cluster.rs`).
    pub probe: Vec<String>,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Self {
            mode: Mode::Normal,
            epochs: 200,
            learning_rate: 0.1,
            l2: 0.0,
            files: 5000,
            seconds: Duration::from_secs(30),
            metric_lines: 1000,
            epoch_ms: 0,
            failure_message: None,
            pipe_passes: 1,
            pipe_read_bytes: 0,
            fail_host: None,
            probe: Vec::new(),
        }
    }
}

impl Hyperparameters {
    /// Parses the text of `hyperparameters.json`.
    pub fn parse_json(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("hyperparameters.json is not valid JSON: {e}"))?;
        match value {
            Value::Object(map) => Self::from_map(&map),
            other => Err(format!(
                "hyperparameters.json must be a JSON object, got {}",
                kind(&other)
            )),
        }
    }

    /// Parses an already-decoded object.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, String> {
        let mut hp = Self::default();
        for (key, value) in map {
            let Value::String(s) = value else {
                return Err(format!(
                    "hyperparameter {key:?} must be a JSON string (the platform passes every value as a string), got {}",
                    kind(value)
                ));
            };
            // Framework estimators of the SageMaker Python SDK JSON-encode
            // every value, so a string arrives as "\"fail\"": accept both.
            let s = s.trim();
            let s = s
                .strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
                .unwrap_or(s);
            match key.as_str() {
                "mode" => {
                    hp.mode = Mode::parse(s).ok_or_else(|| {
                        format!("hyperparameter \"mode\" has unknown value {s:?}; expected one of normal, fail, crash, oom, hang, ignore-sigterm, many-files, slow, metrics, dial-out")
                    })?
                }
                "epochs" => hp.epochs = ranged(key, s, 1, 1_000_000)?,
                "learning_rate" => hp.learning_rate = positive(key, s)?,
                "l2" => {
                    hp.l2 = number(key, s)?;
                    if hp.l2 < 0.0 {
                        return Err(format!("hyperparameter \"l2\" must be >= 0, got {s:?}"));
                    }
                }
                "files" => hp.files = ranged(key, s, 0, 1_000_000)?,
                "seconds" => {
                    let secs = number(key, s)?;
                    hp.seconds = Duration::try_from_secs_f64(secs).map_err(|_| {
                        format!("hyperparameter \"seconds\" must be a non-negative number of seconds, got {s:?}")
                    })?;
                }
                "metric_lines" => hp.metric_lines = ranged(key, s, 0, 10_000_000)?,
                "epoch_ms" => hp.epoch_ms = u64::from(ranged(key, s, 0, 60_000)?),
                "failure_message" => hp.failure_message = Some(s.to_string()),
                "pipe_passes" => hp.pipe_passes = ranged(key, s, 1, 100)?,
                "pipe_read_bytes" => hp.pipe_read_bytes = u64::from(ranged(key, s, 0, u32::MAX)?),
                "fail_host" => hp.fail_host = Some(s.to_string()).filter(|h| !h.is_empty()),
                "probe" => {
                    hp.probe = s
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
                _ => {} // unknown keys are not ours to judge
            }
        }
        Ok(hp)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn number(key: &str, s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!(
            "hyperparameter {key:?} must be a number, got {s:?}"
        )),
    }
}

fn positive(key: &str, s: &str) -> Result<f64, String> {
    let v = number(key, s)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("hyperparameter {key:?} must be > 0, got {s:?}"))
    }
}

fn ranged(key: &str, s: &str, min: u32, max: u32) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(format!(
            "hyperparameter {key:?} must be an integer from {min} to {max}, got {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_gives_defaults() {
        assert_eq!(
            Hyperparameters::parse_json("{}").unwrap(),
            Hyperparameters::default()
        );
    }

    #[test]
    fn parses_known_and_ignores_unknown_keys() {
        let hp = Hyperparameters::parse_json(
            r#"{"mode": "many-files", "epochs": "12", "learning_rate": "0.5", "files": "7", "seconds": "1.5", "sagemaker_program": "x"}"#,
        )
        .unwrap();
        assert_eq!(hp.mode, Mode::ManyFiles);
        assert_eq!(hp.epochs, 12);
        assert_eq!(hp.learning_rate, 0.5);
        assert_eq!(hp.files, 7);
        assert_eq!(hp.seconds, Duration::from_millis(1500));
    }

    #[test]
    fn accepts_json_encoded_string_values() {
        let hp = Hyperparameters::parse_json(r#"{"mode": "\"slow\"", "epochs": "\"3\""}"#).unwrap();
        assert_eq!((hp.mode, hp.epochs), (Mode::Slow, 3));
    }

    #[test]
    fn badly_typed_values_are_errors_naming_the_key() {
        for (json, needle) in [
            (r#"{"epochs": "ten"}"#, "\"epochs\""),
            (r#"{"epochs": 10}"#, "must be a JSON string"),
            (r#"{"epochs": "0"}"#, "from 1"),
            (r#"{"learning_rate": "-1"}"#, "> 0"),
            (r#"{"mode": "explode"}"#, "unknown value"),
            (r#"{"seconds": "-2"}"#, "non-negative"),
            (r#"[]"#, "JSON object"),
        ] {
            let err = Hyperparameters::parse_json(json).unwrap_err();
            assert!(err.contains(needle), "{json}: {err}");
        }
    }
}
