//! Linear regression by full-batch gradient descent on standardised features.
//!
//! Gradient descent (rather than a closed form) because it gives the
//! per-epoch progress lines and metrics a platform is expected to stream
//! and parse; standardising the features first makes one learning rate work
//! for any column scale, so the defaults converge on ordinary data.

use crate::model::LinearModel;

/// Training rows: `features[i]` predicts `labels[i]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// One row per record, all of the same width.
    pub features: Vec<Vec<f64>>,
    /// One label per record.
    pub labels: Vec<f64>,
}

impl Dataset {
    /// Number of features per row (0 for an empty set).
    pub fn width(&self) -> usize {
        self.features.first().map_or(0, Vec::len)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Knobs of [`fit`].
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    /// Passes over the data.
    pub epochs: u32,
    /// Step size in standardised space.
    pub learning_rate: f64,
    /// L2 penalty on the (standardised) weights.
    pub l2: f64,
}

/// Mean squared error of `model` on `data` (0 for an empty set).
pub fn mse(model: &LinearModel, data: &Dataset) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let total: f64 = data
        .features
        .iter()
        .zip(&data.labels)
        .map(|(x, y)| (model.predict(x) - y).powi(2))
        .sum();
    total / data.len() as f64
}

/// Fits `data`; `on_epoch(epoch, train_mse)` is called after every epoch.
/// Fails if the loss stops being finite (learning rate too high).
pub fn fit(
    data: &Dataset,
    opts: FitOptions,
    mut on_epoch: impl FnMut(u32, f64),
) -> Result<LinearModel, String> {
    if data.is_empty() {
        return Err("the training data has no records".to_string());
    }
    let width = data.width();
    let n = data.len() as f64;
    let (mean, scale) = column_stats(data);
    let z: Vec<Vec<f64>> = data
        .features
        .iter()
        .map(|row| {
            row.iter()
                .zip(mean.iter().zip(&scale))
                .map(|(x, (m, s))| (x - m) / s)
                .collect()
        })
        .collect();

    let mut w = vec![0.0; width];
    let mut b = 0.0;
    for epoch in 1..=opts.epochs {
        let mut grad_w = vec![0.0; width];
        let mut grad_b = 0.0;
        let mut loss = 0.0;
        for (row, y) in z.iter().zip(&data.labels) {
            let pred = b + row.iter().zip(&w).map(|(x, wi)| x * wi).sum::<f64>();
            let err = pred - y;
            loss += err * err;
            grad_b += err;
            for (g, x) in grad_w.iter_mut().zip(row) {
                *g += err * x;
            }
        }
        for (wi, g) in w.iter_mut().zip(&grad_w) {
            *wi -= opts.learning_rate * (g / n + opts.l2 * *wi);
        }
        b -= opts.learning_rate * grad_b / n;
        let loss = loss / n;
        if !loss.is_finite() || !b.is_finite() {
            return Err(format!(
                "training diverged at epoch {epoch} (loss is not finite); lower learning_rate (was {})",
                opts.learning_rate
            ));
        }
        on_epoch(epoch, loss);
    }

    // Back from standardised space: x_std = (x - m) / s.
    let weights: Vec<f64> = w.iter().zip(&scale).map(|(wi, s)| wi / s).collect();
    let bias = b - weights.iter().zip(&mean).map(|(wi, m)| wi * m).sum::<f64>();
    Ok(LinearModel::new(weights, bias))
}

/// Per-column mean and standard deviation (1 for constant columns, so they
/// contribute nothing instead of dividing by zero).
fn column_stats(data: &Dataset) -> (Vec<f64>, Vec<f64>) {
    let width = data.width();
    let n = data.len() as f64;
    let mut mean = vec![0.0; width];
    for row in &data.features {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += x / n;
        }
    }
    let mut var = vec![0.0; width];
    for row in &data.features {
        for ((v, x), m) in var.iter_mut().zip(row).zip(&mean) {
            *v += (x - m).powi(2) / n;
        }
    }
    let scale = var
        .into_iter()
        .map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    (mean, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> FitOptions {
        FitOptions {
            epochs: 300,
            learning_rate: 0.1,
            l2: 0.0,
        }
    }

    #[test]
    fn learns_exact_plane_with_different_column_scales() {
        let mut data = Dataset::default();
        for i in 0..200 {
            let x1 = (i % 17) as f64 * 100.0;
            let x2 = (i % 5) as f64 * 0.01;
            data.features.push(vec![x1, x2]);
            data.labels.push(0.5 * x1 - 40.0 * x2 + 7.0);
        }
        let mut epochs = 0;
        let model = fit(&data, opts(), |_, _| epochs += 1).unwrap();
        assert_eq!(epochs, 300);
        assert!((model.weights[0] - 0.5).abs() < 1e-6, "{model:?}");
        assert!((model.weights[1] + 40.0).abs() < 1e-3, "{model:?}");
        assert!((model.bias - 7.0).abs() < 1e-3, "{model:?}");
        assert!(mse(&model, &data) < 1e-6);
    }

    #[test]
    fn constant_column_gets_zero_weight() {
        let data = Dataset {
            features: (0..50).map(|i| vec![i as f64, 4.0]).collect(),
            labels: (0..50).map(|i| 2.0 * i as f64 + 1.0).collect(),
        };
        let model = fit(&data, opts(), |_, _| {}).unwrap();
        assert!((model.weights[0] - 2.0).abs() < 1e-6);
        assert!(model.weights[1].abs() < 1e-9);
        assert!((model.bias - 1.0).abs() < 1e-4);
    }

    #[test]
    fn huge_learning_rate_reports_divergence() {
        let data = Dataset {
            features: (0..50).map(|i| vec![i as f64, (i * i) as f64]).collect(),
            labels: (0..50).map(|i| i as f64).collect(),
        };
        let bad = FitOptions {
            learning_rate: 1e6,
            ..opts()
        };
        let err = fit(&data, bad, |_, _| {}).unwrap_err();
        assert!(err.contains("diverged"), "{err}");
    }

    #[test]
    fn empty_data_is_an_error() {
        assert!(fit(&Dataset::default(), opts(), |_, _| {}).is_err());
    }
}
