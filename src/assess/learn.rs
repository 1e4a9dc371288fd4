//! Learning from the curated examples: a regularised multinomial logistic
//! regression ("softmax head") over standardised features, grouped
//! cross-validation and temperature scaling.
//!
//! Why a linear model: the knowledge base holds hundreds of labelled
//! examples, not millions; a linear model over the text embedding, the
//! neighbours' votes and the signal evidence trains in well under a second
//! on two cores, is deterministic (L-BFGS from zero, no sampling), and its
//! probabilities calibrate with one temperature. The optimiser is
//! `linfa-logistic`'s (L2 penalty, L-BFGS); this module only standardises
//! the features, keeps the fitted weights in plain vectors for prediction,
//! and folds the data by *group* (the example's public source) so that
//! cross-validated numbers are not inflated by near-duplicates of one case.

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};

use super::classify::{LabelledLogits, fit_temperature, softmax};

#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("no training data")]
    Empty,
    #[error("training failed: {0}")]
    Fit(String),
}

/// Per-feature mean and inverse standard deviation (constant features get
/// an inverse of 0, so they never move a prediction).
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    mean: Vec<f64>,
    inv_std: Vec<f64>,
}

impl Standardizer {
    pub fn fit(rows: &[Vec<f64>]) -> Self {
        let d = rows.first().map_or(0, Vec::len);
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0.0; d];
        for r in rows {
            for (m, v) in mean.iter_mut().zip(r) {
                *m += v / n;
            }
        }
        let mut var = vec![0.0; d];
        for r in rows {
            for ((s, v), m) in var.iter_mut().zip(r).zip(&mean) {
                *s += (v - m) * (v - m) / n;
            }
        }
        let inv_std = var
            .iter()
            .map(|v| if *v > 1e-12 { 1.0 / v.sqrt() } else { 0.0 })
            .collect();
        Self { mean, inv_std }
    }

    /// Multiply the standardised features by `scale` (per feature; missing
    /// entries keep 1): a smaller scale means a stronger L2 penalty on that
    /// feature's weight.
    pub fn rescale(&mut self, scale: &[f64]) {
        for (s, k) in self.inv_std.iter_mut().zip(scale) {
            *s *= k;
        }
    }

    pub fn apply(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .zip(&self.mean)
            .zip(&self.inv_std)
            .map(|((v, m), s)| (v - m) * s)
            .collect()
    }
}

/// A fitted softmax head over `classes` labels (0..classes); labels absent
/// from the training data keep a very low logit.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    classes: usize,
    scale: Standardizer,
    /// Row-major `classes × dim`.
    weights: Vec<f64>,
    bias: Vec<f64>,
}

/// Logit given to a label that never occurred in training.
const ABSENT: f64 = -30.0;

impl Head {
    /// Fit on rows `x` with labels `y` in `0..classes`, L2 penalty `alpha`,
    /// standardised features multiplied by `feature_scale`.
    pub fn fit(
        x: &[Vec<f64>],
        y: &[usize],
        classes: usize,
        alpha: f64,
        feature_scale: &[f64],
    ) -> Result<Self, LearnError> {
        if x.is_empty() || x.len() != y.len() {
            return Err(LearnError::Empty);
        }
        let mut scale = Standardizer::fit(x);
        scale.rescale(feature_scale);
        let dim = x[0].len();
        let present: std::collections::BTreeSet<usize> = y.iter().copied().collect();
        let mut weights = vec![0.0; classes * dim];
        let mut bias = vec![ABSENT; classes];
        if present.len() == 1 {
            // One label only: it always wins.
            bias[*present.iter().next().unwrap_or(&0)] = 0.0;
            return Ok(Self {
                classes,
                scale,
                weights,
                bias,
            });
        }
        let mut m = Array2::<f64>::zeros((x.len(), dim));
        for (i, r) in x.iter().enumerate() {
            for (j, v) in scale.apply(r).into_iter().enumerate() {
                m[[i, j]] = v;
            }
        }
        let targets = Array1::from(y.to_vec());
        let data = Dataset::new(m, targets);
        let fitted = MultiLogisticRegression::default()
            .alpha(alpha)
            .max_iterations(300)
            .gradient_tolerance(1e-5)
            .fit(&data)
            .map_err(|e| LearnError::Fit(e.to_string()))?;
        let params = fitted.params(); // dim × k
        for (k, &label) in fitted.classes().iter().enumerate() {
            for j in 0..dim {
                weights[label * dim + j] = params[[j, k]];
            }
            bias[label] = fitted.intercept()[k];
        }
        Ok(Self {
            classes,
            scale,
            weights,
            bias,
        })
    }

    /// Raw logits (before any temperature) for one row.
    pub fn logits(&self, row: &[f64]) -> Vec<f64> {
        let z = self.scale.apply(row);
        let dim = z.len();
        (0..self.classes)
            .map(|c| {
                let w = &self.weights[c * dim..(c + 1) * dim];
                self.bias[c] + w.iter().zip(&z).map(|(a, b)| a * b).sum::<f64>()
            })
            .collect()
    }

    /// Probabilities at temperature `t`.
    pub fn probabilities(&self, row: &[f64], t: f32) -> Vec<f32> {
        let l: Vec<f32> = self.logits(row).iter().map(|&v| v as f32).collect();
        softmax(&l, t)
    }
}

/// `k` folds over groups: every row of one group lands in the same fold;
/// groups are dealt in order of first appearance, so the split is
/// deterministic. Returns each row's fold.
pub fn group_folds(groups: &[String], k: usize) -> Vec<usize> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut order = 0usize;
    groups
        .iter()
        .map(|g| {
            *seen.entry(g.as_str()).or_insert_with(|| {
                let f = order % k.max(1);
                order += 1;
                f
            })
        })
        .collect()
}

/// Out-of-fold logits of a head trained on the other folds, for every row
/// (grouped k-fold cross-validation).
pub fn cross_val_logits(
    x: &[Vec<f64>],
    y: &[usize],
    classes: usize,
    alpha: f64,
    feature_scale: &[f64],
    folds: &[usize],
) -> Result<Vec<Vec<f64>>, LearnError> {
    let k = folds.iter().copied().max().map_or(0, |m| m + 1);
    let mut out = vec![Vec::new(); x.len()];
    for f in 0..k {
        let (mut tx, mut ty) = (Vec::new(), Vec::new());
        for i in 0..x.len() {
            if folds[i] != f {
                tx.push(x[i].clone());
                ty.push(y[i]);
            }
        }
        if tx.is_empty() {
            continue;
        }
        let head = Head::fit(&tx, &ty, classes, alpha, feature_scale)?;
        for i in 0..x.len() {
            if folds[i] == f {
                out[i] = head.logits(&x[i]);
            }
        }
    }
    Ok(out)
}

/// The temperature that makes out-of-fold logits calibrated (1.0 without data).
pub fn calibrate(logits: &[Vec<f64>], y: &[usize]) -> f32 {
    let cases: Vec<LabelledLogits> = logits
        .iter()
        .zip(y)
        .filter(|(l, _)| !l.is_empty())
        .map(|(l, &label)| LabelledLogits {
            logits: l.iter().map(|&v| v as f32).collect(),
            label,
        })
        .collect();
    fit_temperature(&cases).unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three clusters in 4-d (a constant feature too), `shift` apart.
    fn data_with(shift: f64) -> (Vec<Vec<f64>>, Vec<usize>, Vec<String>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        let mut g = Vec::new();
        let mut s = 7u64;
        let mut r = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for i in 0..90 {
            let c = i % 3;
            let mut row = vec![r(), r(), r(), 5.0];
            row[c] += shift;
            x.push(row);
            y.push(c);
            g.push(format!("src{}", i / 2));
        }
        (x, y, g)
    }

    fn data() -> (Vec<Vec<f64>>, Vec<usize>, Vec<String>) {
        data_with(2.0)
    }

    #[test]
    fn learns_separable_classes_and_is_deterministic() {
        let (x, y, _) = data();
        let a = Head::fit(&x, &y, 4, 0.01, &[]).unwrap();
        let b = Head::fit(&x, &y, 4, 0.01, &[]).unwrap();
        assert_eq!(a, b, "same data, same model");
        let right = x
            .iter()
            .zip(&y)
            .filter(|&(r, &c)| {
                let p = a.probabilities(r, 1.0);
                p.iter()
                    .enumerate()
                    .max_by(|u, v| u.1.total_cmp(v.1))
                    .map(|(i, _)| i)
                    == Some(c)
            })
            .count();
        assert!(right >= 85, "{right} of 90");
        // Label 3 never occurred: it stays improbable.
        assert!(a.probabilities(&x[0], 1.0)[3] < 1e-6);
    }

    #[test]
    fn folds_keep_groups_together() {
        // Overlapping clusters, so out-of-fold probabilities are neither
        // perfect nor useless and the temperature lands inside its range.
        let (x, y, g) = data_with(0.4);
        let folds = group_folds(&g, 5);
        for i in 0..g.len() {
            for j in 0..g.len() {
                if g[i] == g[j] {
                    assert_eq!(folds[i], folds[j]);
                }
            }
        }
        let oof = cross_val_logits(&x, &y, 4, 0.01, &[], &folds).unwrap();
        assert!(oof.iter().all(|l| l.len() == 4));
        let t = calibrate(&oof, &y);
        assert!(t > 0.05 && t < 20.0, "{t}");
    }
}
