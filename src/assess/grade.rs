//! Grading: red / yellow / green with reasons a handler can read.
//!
//! - The top scheme is `none` → green: a legitimate complaint is never
//!   flagged, whatever words it uses.
//! - Nothing reaches `min_confidence` → `insufficient_evidence`: yellow if
//!   fraud cues are present (a human should look), else green.
//! - A fraud scheme at `red_confidence` or more, backed by at least one strong
//!   cue (a signal of weight ≥ `strong_cue`) → red; otherwise yellow.
//!
//! Thresholds are in config (`[assess]`).

use serde::{Deserialize, Serialize};

use super::classify::Neighbour;
use super::schemes::{NONE, SchemeSet};
use super::signals::{Signal, SignalKind};

/// The pseudo-scheme reported when nothing is conclusive.
pub const INSUFFICIENT: &str = "insufficient_evidence";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    Red,
    Yellow,
    Green,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Red => "red",
            Grade::Yellow => "yellow",
            Grade::Green => "green",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "red" => Some(Grade::Red),
            "yellow" => Some(Grade::Yellow),
            "green" => Some(Grade::Green),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GradeParams {
    /// Below this top probability the result is `insufficient_evidence`.
    pub min_confidence: f32,
    /// A fraud scheme at this probability or more can be red.
    pub red_confidence: f32,
    /// Weight from which a signal counts as a strong cue.
    pub strong_cue: f32,
}

impl Default for GradeParams {
    fn default() -> Self {
        Self {
            min_confidence: 0.45,
            red_confidence: 0.7,
            strong_cue: 0.6,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub grade: Grade,
    /// A scheme id, `none`, or `insufficient_evidence`.
    pub top_scheme: String,
    pub reasons: Vec<String>,
}

fn pct(p: f32) -> String {
    format!("{:.0}%", p * 100.0)
}

/// Grade a classified case.
pub fn grade(
    set: &SchemeSet,
    probabilities: &[f32],
    signals: &[Signal],
    neighbours: &[Neighbour],
    params: &GradeParams,
) -> Verdict {
    let (best, p) = probabilities
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, 0.0));
    let scheme = &set.schemes[best];
    let fraud_cues: Vec<&Signal> = signals.iter().filter(|s| s.is_fraud_cue()).collect();
    let cue_text = |s: &Signal| match (&s.span, &s.field) {
        (Some(span), _) => format!("{}：“{}”", s.label, span.text),
        (None, Some(f)) => format!("{}（{f}）", s.label),
        _ => s.label.clone(),
    };
    let mut reasons = Vec::new();

    if p < params.min_confidence {
        let grade = if fraud_cues.iter().map(|s| s.weight).sum::<f32>() >= 1.0 {
            Grade::Yellow
        } else {
            Grade::Green
        };
        reasons.push(format!(
            "证据不足以判断类型：最接近的是“{}”，置信度仅 {}。",
            scheme.name,
            pct(p)
        ));
        for s in fraud_cues.iter().take(3) {
            reasons.push(format!("需人工核实的信号：{}", cue_text(s)));
        }
        if grade == Grade::Green {
            reasons.push("未发现明显的恶意特征，按常规流程处理。".into());
        }
        return Verdict {
            grade,
            top_scheme: INSUFFICIENT.into(),
            reasons,
        };
    }

    if scheme.id == NONE {
        reasons.push(format!("判断为正常诉求（置信度 {}）。", pct(p)));
        let legit: Vec<&Signal> = signals
            .iter()
            .filter(|s| s.kind == SignalKind::Legitimate)
            .collect();
        for s in legit.iter().take(3) {
            reasons.push(format!("正常诉求特征：{}", cue_text(s)));
        }
        if fraud_cues.is_empty() {
            reasons.push("未发现有偿代理、伪造材料、模板化施压等恶意特征。".into());
        } else {
            reasons.push(format!(
                "文中虽有“{}”等用语，但整体不构成恶意特征，按正常诉求处理。",
                fraud_cues[0].label
            ));
        }
        if let Some(h) = scheme.grade_hints.get("green") {
            reasons.push(format!("处理建议：{h}"));
        }
        return Verdict {
            grade: Grade::Green,
            top_scheme: NONE.into(),
            reasons,
        };
    }

    let mine: Vec<&Signal> = fraud_cues
        .iter()
        .copied()
        .filter(|s| s.schemes.contains(&scheme.id))
        .collect();
    let strong = mine
        .iter()
        .any(|s| s.weight >= params.strong_cue || s.kind == SignalKind::CrossCheck);
    let grade = if p >= params.red_confidence && strong {
        Grade::Red
    } else {
        Grade::Yellow
    };
    reasons.push(format!(
        "最可能的类型：{}（置信度 {}）。",
        scheme.name,
        pct(p)
    ));
    let mut sorted = mine.clone();
    sorted.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    for s in sorted.iter().take(4) {
        reasons.push(format!("信号：{}", cue_text(s)));
    }
    for n in neighbours
        .iter()
        .filter(|n| n.schemes.contains(&scheme.id))
        .take(2)
    {
        reasons.push(format!(
            "与已标注案例“{}”相似（相似度 {:.2}）。",
            n.title, n.similarity
        ));
    }
    if grade == Grade::Yellow {
        reasons.push(if strong {
            "置信度未达红色阈值，需人工复核。".into()
        } else {
            "缺少强信号，需人工复核后再定性。".into()
        });
    }
    if let Some(h) = scheme.grade_hints.get(grade.as_str()) {
        reasons.push(format!("处理建议：{h}"));
    }
    Verdict {
        grade,
        top_scheme: scheme.id.clone(),
        reasons,
    }
}
