//! Measuring the classifier on labelled data (`caseguard eval`).
//!
//! A labelled item is a complaint or application with its true schemes and
//! grade (`eval/dev.jsonl`, or the knowledge base's `examples/*.jsonl` with
//! each item left out of its own retrieval). The report gives macro-F1 over
//! scheme ids, per-class precision and recall, the false-positive rate on
//! legitimate items (flagged with a fraud scheme, or graded other than
//! green), grade accuracy, the expected calibration error of the top
//! confidence, and latency percentiles.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::applicant::Applicant;
use super::grade::Grade;
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
    pub latency_ms: f64,
    pub llm_consulted: bool,
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
    /// Expected calibration error of the top confidence, 10 bins.
    pub ece: f64,
    pub insufficient: usize,
    pub llm_share: f64,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn report(preds: &[Prediction]) -> Report {
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
    let mut ece = 0.0;
    for b in 0..10 {
        let (lo, hi) = (b as f32 / 10.0, (b + 1) as f32 / 10.0);
        let bin: Vec<&Prediction> = preds
            .iter()
            .filter(|p| p.confidence > lo && p.confidence <= hi || (b == 0 && p.confidence == 0.0))
            .collect();
        if bin.is_empty() {
            continue;
        }
        let acc = bin.iter().filter(|p| p.argmax_correct).count() as f64 / bin.len() as f64;
        let conf = bin.iter().map(|p| p.confidence as f64).sum::<f64>() / bin.len() as f64;
        ece += bin.len() as f64 / n * (acc - conf).abs();
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
        ece,
        insufficient: preds
            .iter()
            .filter(|p| p.predicted_top == super::grade::INSUFFICIENT)
            .count(),
        llm_share: preds.iter().filter(|p| p.llm_consulted).count() as f64 / n,
        latency_p50_ms: percentile(&lat, 0.5),
        latency_p95_ms: percentile(&lat, 0.95),
    }
}

impl Report {
    /// Human-readable Markdown.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "{} items: macro-F1 {:.3}, accuracy {:.3}, false positives on none {:.1}% ({} items), grade accuracy {:.3}, ECE {:.3}, insufficient evidence {}, LLM consulted on {:.0}%, latency p50 {:.0} ms / p95 {:.0} ms\n\n",
            self.items,
            self.macro_f1,
            self.accuracy,
            self.false_positive_rate_none * 100.0,
            self.none_items,
            self.grade_accuracy,
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
            latency_ms: 10.0,
            llm_consulted: false,
        }
    }

    #[test]
    fn metrics_on_a_small_set() {
        use Grade::*;
        let r = report(&[
            p("a", "a", 0.9, Red, Red),
            p("a", NONE, 0.6, Red, Green),
            p(NONE, NONE, 0.8, Green, Green),
            p(NONE, "a", 0.7, Green, Yellow),
        ]);
        let a = &r.classes[0];
        assert_eq!((a.class.as_str(), a.precision, a.recall), ("a", 0.5, 0.5));
        assert!((r.macro_f1 - 0.5).abs() < 1e-9);
        assert!((r.false_positive_rate_none - 0.5).abs() < 1e-9);
        assert!((r.grade_accuracy - 0.5).abs() < 1e-9);
        // Bins: 0.9 correct (|1−0.9|), 0.6 wrong, 0.8 correct, 0.7 wrong.
        let expected = (0.1 + 0.6 + 0.2 + 0.7) / 4.0;
        assert!((r.ece - expected).abs() < 1e-6, "{}", r.ece);
    }
}
