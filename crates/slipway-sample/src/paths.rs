//! Where the container contract puts things under `/opt/ml`.
//!
//! The root is overridable (`SLIPWAY_SAMPLE_ML_ROOT`) so the same code runs
//! in unit tests against a temporary directory, without a container.

use std::path::{Path, PathBuf};

/// Environment variable that replaces `/opt/ml` (tests only).
pub const ML_ROOT_ENV: &str = "SLIPWAY_SAMPLE_ML_ROOT";

/// The `/opt/ml` tree of one container.
#[derive(Debug, Clone)]
pub struct MlRoot {
    root: PathBuf,
}

impl MlRoot {
    /// `/opt/ml`, or `$SLIPWAY_SAMPLE_ML_ROOT` when set and non-empty.
    pub fn from_env() -> Self {
        match std::env::var_os(ML_ROOT_ENV) {
            Some(v) if !v.is_empty() => Self::new(PathBuf::from(v)),
            _ => Self::new(PathBuf::from("/opt/ml")),
        }
    }

    /// A tree rooted at `root` instead of `/opt/ml`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `input/config/<name>` (hyperparameters.json, inputdataconfig.json, …).
    pub fn config_file(&self, name: &str) -> PathBuf {
        self.root.join("input/config").join(name)
    }

    /// `input/data/`: one entry per channel (a directory, or Pipe FIFOs).
    pub fn input_data_dir(&self) -> PathBuf {
        self.root.join("input/data")
    }

    /// `input/data/<channel>` (File mode channel directory).
    pub fn channel_dir(&self, channel: &str) -> PathBuf {
        self.root.join("input/data").join(channel)
    }

    /// `model/`: uploaded as model.tar.gz after training, extracted here before serving.
    pub fn model_dir(&self) -> PathBuf {
        self.root.join("model")
    }

    /// `output/data/`: uploaded as output.tar.gz after training.
    pub fn output_data_dir(&self) -> PathBuf {
        self.root.join("output/data")
    }

    /// `output/failure`: its first 1024 characters become FailureReason.
    pub fn failure_file(&self) -> PathBuf {
        self.root.join("output/failure")
    }
}
