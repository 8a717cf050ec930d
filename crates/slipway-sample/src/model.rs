//! The model artifact: `model.json`, written by `train`, read by `serve`.
//!
//! JSON rather than a binary format so a person inspecting a model.tar.gz
//! (or a test) can read the learned weights directly.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// File name inside `/opt/ml/model`.
pub const MODEL_FILE: &str = "model.json";

/// Value of [`LinearModel::format`]; lets `serve` refuse foreign files clearly.
pub const MODEL_FORMAT: &str = "slipway-sample-linear-v1";

/// `y = bias + Σ weights[i] · x[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// Number of features a record must have.
    pub feature_count: usize,
    /// One weight per feature, in CSV column order (label column excluded).
    pub weights: Vec<f64>,
    /// Intercept.
    pub bias: f64,
}

impl LinearModel {
    /// A model with the given coefficients.
    pub fn new(weights: Vec<f64>, bias: f64) -> Self {
        Self {
            format: MODEL_FORMAT.to_string(),
            feature_count: weights.len(),
            weights,
            bias,
        }
    }

    /// Predicts one record; the caller has checked the width.
    pub fn predict(&self, features: &[f64]) -> f64 {
        self.bias
            + self
                .weights
                .iter()
                .zip(features)
                .map(|(w, x)| w * x)
                .sum::<f64>()
    }

    /// Reads and checks a model file; errors are full sentences for logs.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read model {}: {e}", path.display()))?;
        let model: Self = serde_json::from_str(&text)
            .map_err(|e| format!("model {} is not a valid model.json: {e}", path.display()))?;
        if model.format != MODEL_FORMAT {
            return Err(format!(
                "model {} has format {:?}, expected {MODEL_FORMAT:?}",
                path.display(),
                model.format
            ));
        }
        if model.weights.len() != model.feature_count {
            return Err(format!(
                "model {} declares {} features but has {} weights",
                path.display(),
                model.feature_count,
                model.weights.len()
            ));
        }
        if !model.bias.is_finite() || model.weights.iter().any(|w| !w.is_finite()) {
            return Err(format!(
                "model {} has non-finite coefficients",
                path.display()
            ));
        }
        Ok(model)
    }

    /// Writes the model as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text =
            serde_json::to_string_pretty(self).map_err(|e| format!("cannot encode model: {e}"))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write model {}: {e}", path.display()))
    }
}
