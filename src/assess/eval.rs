//! Measuring the classifier on labelled data (`caseguard eval`).
//!
//! A labelled item is a complaint or application with its true schemes and
//! grade (`eval/dev.jsonl`, or the knowledge base's `examples/*.jsonl` with
//! each item left out of its own retrieval). The report gives macro-F1 over
//! scheme ids, per-class precision and recall, the false-positive rate on
//! legitimate items (flagged with a fraud scheme, or graded other than
//! green), grade accuracy with the confusion matrix of expected against
//! predicted grade, the expected calibration error of the top confidence,
//! the calibration itself (negative log-likelihood of the true scheme, and
//! the temperature that would minimise it on this set, with its ECE), and
//! latency percentiles.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::applicant::Applicant;
use super::classify::{
    LabelledLogits, fit_temperature, logits_from_probabilities, mean_nll, softmax,
};
use super::grade::Grade;
use super::role::SubmitterRole;
use super::schemes::NONE;
use super::signals::Channel;

#[derive(Debug, Clone, Deserialize)]
pub struct LabelledItem {
    pub id: String,
    pub channel: Channel,
    pub text: String,
    #[serde(default)]
    pub applicant: Option<Applicant>,
    pub schemes: Vec<String>,
    #[serde(default)]
    pub top_scheme: Option<String>,
    pub grade: Grade,
    /// The submitter's role; sets labelled before roles existed omit it.
    #[serde(default)]
    pub role: Option<SubmitterRole>,
    /// Where the facts come from (real-sourced sets).
    #[serde(default)]
    pub source: Option<String>,
}

impl LabelledItem {
    pub fn true_top(&self) -> &str {
        self.top_scheme
            .as_deref()
            .or(self.schemes.first().map(String::as_str))
            .unwrap_or(NONE)
    }
}

/// Items from a JSON Lines file, or from every `.jsonl` file in a folder.
pub fn load_set(path: &Path) -> Result<Vec<LabelledItem>, String> {
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut f: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        f.sort();
        f
    } else {
        vec![path.to_path_buf()]
    };
    let mut items = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            items.push(
                serde_json::from_str(line)
                    .map_err(|e| format!("{} line {}: {e}", f.display(), i + 1))?,
            );
        }
    }
    if items.is_empty() {
        return Err(format!("{}: no labelled items", path.display()));
    }
    Ok(items)
}

/// One prediction next to its label.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub id: String,
    pub true_top: String,
    pub predicted_top: String,
    /// Probability of the classifier's most likely scheme.
    pub confidence: f32,
    /// Whether that most likely scheme is the true one.
    pub argmax_correct: bool,
    pub true_grade: Grade,
    pub predicted_grade: Grade,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_role: Option<SubmitterRole>,
    pub predicted_role: SubmitterRole,
    pub latency_ms: f64,
    pub llm_consulted: bool,
    /// Every scheme's probability as (id, probability), for calibration.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<(String, f32)>,
    /// What decided it (the assessment's reasons), for studying errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub class: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub items: usize,
    pub macro_f1: f64,
    pub accuracy: f64,
    pub classes: Vec<ClassReport>,
    /// Legitimate items flagged (a fraud scheme, or a grade other than green).
    pub false_positive_rate_none: f64,
    pub none_items: usize,
    pub grade_accuracy: f64,
    /// Share of items with a labelled role whose role was right (`None`
    /// when the set has no roles).
    pub role_accuracy: Option<f64>,
    /// Legitimate items graded red: the error that must never happen.
    pub none_red: usize,
    /// Share of positives (true scheme not `none`) graded green.
    pub positives_green_rate: f64,
    pub positives: usize,
    /// Rows: expected grade, columns: predicted grade, both in the order
    /// red, yellow, green.
    pub grade_confusion: [[usize; 3]; 3],
    /// Expected calibration error of the top confidence, 10 bins.
    pub ece: f64,
    /// Temperature scaling on this set; `None` without per-scheme scores.
    pub calibration: Option<Calibration>,
    pub insufficient: usize,
    pub llm_share: f64,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
}

/// How well the probabilities fit this set, and the temperature that would
/// fit it best (relative to the classifier's fused logits).
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// The temperature the probabilities were computed at.
    pub temperature: f32,
    /// Mean negative log-likelihood of the true scheme at that temperature.
    pub nll: f64,
    /// The temperature minimising that NLL on this set.
    pub fitted_temperature: f32,
    pub fitted_nll: f64,
    /// ECE of the top confidence at the fitted temperature.
    pub fitted_ece: f64,
}

/// Index of a grade in the confusion matrix.
fn grade_index(g: Grade) -> usize {
    match g {
        Grade::Red => 0,
        Grade::Yellow => 1,
        Grade::Green => 2,
    }
}

/// ECE over (top confidence, whether the top scheme is the true one), 10
/// equal-width bins.
pub(crate) fn expected_calibration_error(points: &[(f32, bool)]) -> f64 {
    let n = points.len().max(1) as f64;
    let mut ece = 0.0;
    for b in 0..10 {
        let (lo, hi) = (b as f32 / 10.0, (b + 1) as f32 / 10.0);
        let bin: Vec<&(f32, bool)> = points
            .iter()
            .filter(|(c, _)| *c > lo && *c <= hi || (b == 0 && *c == 0.0))
            .collect();
        if bin.is_empty() {
            continue;
        }
        let acc = bin.iter().filter(|(_, ok)| *ok).count() as f64 / bin.len() as f64;
        let conf = bin.iter().map(|(c, _)| f64::from(*c)).sum::<f64>() / bin.len() as f64;
        ece += bin.len() as f64 / n * (acc - conf).abs();
    }
    ece
}

/// Temperature scaling on predictions that carry every scheme's
/// probability (computed at `temperature`): the NLL now, the temperature
/// that minimises it, and the ECE there. `None` when no prediction has
/// scores or a true scheme outside them.
pub fn calibration(preds: &[Prediction], temperature: f32) -> Option<Calibration> {
    let cases: Vec<LabelledLogits> = preds
        .iter()
        .filter_map(|p| {
            let label = p.scores.iter().position(|(id, _)| *id == p.true_top)?;
            let probs: Vec<f32> = p.scores.iter().map(|(_, q)| *q).collect();
            Some(LabelledLogits {
                logits: logits_from_probabilities(&probs, temperature),
                label,
            })
        })
        .collect();
    let fitted = fit_temperature(&cases)?;
    let points: Vec<(f32, bool)> = cases
        .iter()
        .map(|c| {
            let p = softmax(&c.logits, fitted);
            let (best, conf) = p
                .iter()
                .copied()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, 0.0));
            (conf, best == c.label)
        })
        .collect();
    Some(Calibration {
        temperature,
        nll: mean_nll(&cases, temperature),
        fitted_temperature: fitted,
        fitted_nll: mean_nll(&cases, fitted),
        fitted_ece: expected_calibration_error(&points),
    })
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The report; `temperature` is the classifier's, for the calibration.
pub fn report(preds: &[Prediction], temperature: f32) -> Report {
    let classes: BTreeSet<&str> = preds.iter().map(|p| p.true_top.as_str()).collect();
    let mut class_reports = Vec::new();
    for c in &classes {
        let tp = preds
            .iter()
            .filter(|p| p.true_top == *c && p.predicted_top == *c)
            .count();
        let fp = preds
            .iter()
            .filter(|p| p.true_top != *c && p.predicted_top == *c)
            .count();
        let support = preds.iter().filter(|p| p.true_top == *c).count();
        let precision = if tp + fp == 0 {
            0.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        let recall = if support == 0 {
            0.0
        } else {
            tp as f64 / support as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        class_reports.push(ClassReport {
            class: c.to_string(),
            precision,
            recall,
            f1,
            support,
        });
    }
    let n = preds.len().max(1) as f64;
    let none: Vec<&Prediction> = preds.iter().filter(|p| p.true_top == NONE).collect();
    let flagged = none
        .iter()
        .filter(|p| {
            (p.predicted_top != NONE && p.predicted_top != super::grade::INSUFFICIENT)
                || p.predicted_grade != Grade::Green
        })
        .count();
    // Calibration: bins of top confidence, |accuracy − confidence| weighted.
    let points: Vec<(f32, bool)> = preds
        .iter()
        .map(|p| (p.confidence, p.argmax_correct))
        .collect();
    let ece = expected_calibration_error(&points);
    let mut grade_confusion = [[0usize; 3]; 3];
    for p in preds {
        grade_confusion[grade_index(p.true_grade)][grade_index(p.predicted_grade)] += 1;
    }
    let mut lat: Vec<f64> = preds.iter().map(|p| p.latency_ms).collect();
    lat.sort_by(f64::total_cmp);
    Report {
        items: preds.len(),
        macro_f1: class_reports.iter().map(|c| c.f1).sum::<f64>()
            / class_reports.len().max(1) as f64,
        accuracy: preds
            .iter()
            .filter(|p| p.predicted_top == p.true_top)
            .count() as f64
            / n,
        classes: class_reports,
        false_positive_rate_none: if none.is_empty() {
            0.0
        } else {
            flagged as f64 / none.len() as f64
        },
        none_items: none.len(),
        grade_accuracy: preds
            .iter()
            .filter(|p| p.predicted_grade == p.true_grade)
            .count() as f64
            / n,
        role_accuracy: {
            let with: Vec<&Prediction> = preds.iter().filter(|p| p.true_role.is_some()).collect();
            (!with.is_empty()).then(|| {
                with.iter()
                    .filter(|p| p.true_role == Some(p.predicted_role))
                    .count() as f64
                    / with.len() as f64
            })
        },
        none_red: none
            .iter()
            .filter(|p| p.predicted_grade == Grade::Red)
            .count(),
        positives_green_rate: {
            let pos: Vec<&Prediction> = preds.iter().filter(|p| p.true_top != NONE).collect();
            pos.iter()
                .filter(|p| p.predicted_grade == Grade::Green)
                .count() as f64
                / pos.len().max(1) as f64
        },
        positives: preds.iter().filter(|p| p.true_top != NONE).count(),
        grade_confusion,
        ece,
        calibration: calibration(preds, temperature),
        insufficient: preds
            .iter()
            .filter(|p| p.predicted_top == super::grade::INSUFFICIENT)
            .count(),
        llm_share: preds.iter().filter(|p| p.llm_consulted).count() as f64 / n,
        latency_p50_ms: percentile(&lat, 0.5),
        latency_p95_ms: percentile(&lat, 0.95),
    }
}

/// The targets for a real-sourced test set, checked on a report.
pub fn targets(r: &Report) -> Vec<(&'static str, String, bool)> {
    let role = r.role_accuracy.unwrap_or(0.0);
    vec![
        (
            "macro-F1 ≥ 0.88",
            format!("{:.3}", r.macro_f1),
            r.macro_f1 >= 0.88,
        ),
        (
            "false alarms on none ≤ 3%",
            format!("{:.1}%", r.false_positive_rate_none * 100.0),
            r.false_positive_rate_none <= 0.03,
        ),
        (
            "no none graded red",
            r.none_red.to_string(),
            r.none_red == 0,
        ),
        (
            "positives graded green ≤ 5%",
            format!("{:.1}%", r.positives_green_rate * 100.0),
            r.positives_green_rate <= 0.05,
        ),
        (
            "grade accuracy ≥ 0.80",
            format!("{:.3}", r.grade_accuracy),
            r.grade_accuracy >= 0.80,
        ),
        ("role accuracy ≥ 0.85", format!("{role:.3}"), role >= 0.85),
        ("ECE ≤ 0.08", format!("{:.3}", r.ece), r.ece <= 0.08),
        (
            "pipeline p50 ≤ 300 ms",
            format!("{:.0} ms", r.latency_p50_ms),
            r.latency_p50_ms <= 300.0,
        ),
    ]
}

impl Report {
    /// Human-readable Markdown.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "{} items: macro-F1 {:.3}, accuracy {:.3}, false positives on none {:.1}% ({} items, {} graded red), positives graded green {:.1}% ({} items), grade accuracy {:.3}, role accuracy {}, ECE {:.3}, insufficient evidence {}, LLM consulted on {:.0}%, latency p50 {:.0} ms / p95 {:.0} ms\n\n",
            self.items,
            self.macro_f1,
            self.accuracy,
            self.false_positive_rate_none * 100.0,
            self.none_items,
            self.none_red,
            self.positives_green_rate * 100.0,
            self.positives,
            self.grade_accuracy,
            self.role_accuracy
                .map_or("n/a".to_string(), |r| format!("{r:.3}")),
            self.ece,
            self.insufficient,
            self.llm_share * 100.0,
            self.latency_p50_ms,
            self.latency_p95_ms
        ));
        s.push_str("| scheme | precision | recall | F1 | n |\n|---|---:|---:|---:|---:|\n");
        for c in &self.classes {
            s.push_str(&format!(
                "| {} | {:.3} | {:.3} | {:.3} | {} |\n",
                c.class, c.precision, c.recall, c.f1, c.support
            ));
        }
        s.push_str(
            "\n| expected \\ predicted grade | red | yellow | green |\n|---|---:|---:|---:|\n",
        );
        for (g, row) in ["red", "yellow", "green"].iter().zip(&self.grade_confusion) {
            s.push_str(&format!("| {g} | {} | {} | {} |\n", row[0], row[1], row[2]));
        }
        if let Some(c) = &self.calibration {
            s.push_str(&format!(
                "\ncalibration: NLL {:.4} at temperature {:.3}; on this set NLL is lowest at temperature {:.3} (NLL {:.4}, ECE {:.3})\n",
                c.nll, c.temperature, c.fitted_temperature, c.fitted_nll, c.fitted_ece
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str, pr: &str, conf: f32, tg: Grade, pg: Grade) -> Prediction {
        Prediction {
            id: String::new(),
            true_top: t.into(),
            predicted_top: pr.into(),
            confidence: conf,
            argmax_correct: t == pr,
            true_grade: tg,
            predicted_grade: pg,
            true_role: None,
            predicted_role: SubmitterRole::Legitimate,
            latency_ms: 10.0,
            llm_consulted: false,
            scores: Vec::new(),
            reasons: Vec::new(),
        }
    }

    #[test]
    fn metrics_on_a_small_set() {
        use Grade::*;
        let r = report(
            &[
                p("a", "a", 0.9, Red, Red),
                p("a", NONE, 0.6, Red, Green),
                p(NONE, NONE, 0.8, Green, Green),
                p(NONE, "a", 0.7, Green, Yellow),
            ],
            1.0,
        );
        let a = &r.classes[0];
        assert_eq!((a.class.as_str(), a.precision, a.recall), ("a", 0.5, 0.5));
        assert!((r.macro_f1 - 0.5).abs() < 1e-9);
        assert!((r.false_positive_rate_none - 0.5).abs() < 1e-9);
        assert!((r.grade_accuracy - 0.5).abs() < 1e-9);
        // Bins: 0.9 correct (|1−0.9|), 0.6 wrong, 0.8 correct, 0.7 wrong.
        let expected = (0.1 + 0.6 + 0.2 + 0.7) / 4.0;
        assert!((r.ece - expected).abs() < 1e-6, "{}", r.ece);
        // Rows expected, columns predicted: red, yellow, green.
        assert_eq!(r.grade_confusion, [[1, 0, 1], [0, 0, 0], [0, 1, 1]]);
        assert!(r.markdown().contains("| red | 1 | 0 | 1 |"));
        // No per-scheme scores: no calibration.
        assert!(r.calibration.is_none());
    }

    #[test]
    fn calibration_finds_a_sharper_temperature_for_underconfident_scores() {
        // Probabilities computed at temperature 1 from logits whose labels
        // follow softmax(logits / 0.5): the fit must come out near 0.5 and
        // lower the NLL.
        let mut preds = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..5000 {
            let logits: Vec<f32> = (0..3).map(|_| (rnd() * 4.0 - 2.0) as f32).collect();
            let truth = softmax(&logits, 0.5);
            let u = rnd() as f32;
            let label = if u < truth[0] {
                0
            } else if u < truth[0] + truth[1] {
                1
            } else {
                2
            };
            let shown = softmax(&logits, 1.0);
            let ids = ["a", "b", NONE];
            let best = (0..3)
                .max_by(|&i, &j| shown[i].total_cmp(&shown[j]))
                .unwrap();
            let mut q = p(
                ids[label],
                ids[best],
                shown[best],
                Grade::Green,
                Grade::Green,
            );
            q.scores = ids.iter().map(|s| s.to_string()).zip(shown).collect();
            preds.push(q);
        }
        let c = calibration(&preds, 1.0).unwrap();
        assert!((c.fitted_temperature - 0.5).abs() < 0.05, "{c:?}");
        assert!(c.fitted_nll < c.nll, "{c:?}");
        let r = report(&preds, 1.0);
        assert!(c.fitted_ece < r.ece, "{c:?} vs {}", r.ece);
        assert!(r.markdown().contains("calibration: NLL"));
    }
}
