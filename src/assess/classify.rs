//! Classification: fusing three views of a case into calibrated scheme
//! probabilities.
//!
//! - **Neighbours**: the labelled examples (and cases) most similar to the
//!   text vote for their schemes, weighted by a softmax over their cosine
//!   similarity; add-one smoothing keeps every scheme possible.
//! - **Signals**: each fraud cue adds its weight to the schemes it points to;
//!   legitimate cues add to `none`.
//! - **LLM**: log-likelihood of each scheme name after a prompt with the
//!   text and the retrieved facts, calibrated against a content-free prompt.
//!
//! The fused logit of a scheme is a weighted sum of the three (log
//! probabilities for neighbours and LLM, evidence for signals) plus a prior
//! that favours `none` — a false alarm against a real customer is the worst
//! error — and a penalty for schemes whose card does not apply to the
//! channel. A temperature fitted on labelled data turns logits into
//! probabilities. The component weights, prior and temperature live in
//! [`ClassifierParams`] (config `[assess]`).

use serde::{Deserialize, Serialize};

use super::schemes::{NONE, SchemeSet};
use super::signals::{Channel, Signal, SignalKind};

/// Which components take part (all of them in production; one at a time for
/// `eval --ablate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Components {
    Fused,
    NeighboursOnly,
    SignalsOnly,
    LlmOnly,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierParams {
    /// Softmax temperature over neighbour cosine similarities (e5 scores are
    /// compressed in 0.75–0.95, so a small value separates them).
    pub neighbour_temperature: f32,
    /// Neighbours that vote.
    pub neighbours: usize,
    pub w_neighbours: f32,
    pub w_signals: f32,
    pub w_llm: f32,
    /// Logit bonus for `none`.
    pub none_prior: f32,
    /// Logit penalty for a scheme whose card does not apply to the channel.
    pub channel_penalty: f32,
    /// Divides the fused logits before the softmax (calibration).
    pub temperature: f32,
}

impl Default for ClassifierParams {
    fn default() -> Self {
        Self {
            neighbour_temperature: 0.02,
            neighbours: 10,
            w_neighbours: 1.0,
            w_signals: 1.2,
            w_llm: 0.5,
            none_prior: 0.6,
            channel_penalty: 3.0,
            temperature: 1.0,
        }
    }
}

/// A labelled neighbour: its schemes and cosine similarity to the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Neighbour {
    pub doc_id: String,
    pub title: String,
    pub schemes: Vec<String>,
    pub similarity: f32,
}

/// Per-scheme numbers of each component, in the scheme set's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentScores {
    pub neighbours: Vec<f32>,
    pub signals: Vec<f32>,
    /// `None` when the LLM was not consulted.
    pub llm: Option<Vec<f32>>,
}

/// Classification result: probabilities in the scheme set's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub probabilities: Vec<f32>,
    pub components: ComponentScores,
}

/// Neighbour vote distribution (sums to 1).
pub fn neighbour_distribution(
    set: &SchemeSet,
    neighbours: &[Neighbour],
    p: &ClassifierParams,
) -> Vec<f32> {
    let k = set.len().max(1);
    let mut votes = vec![0f32; k];
    let top: Vec<&Neighbour> = neighbours.iter().take(p.neighbours).collect();
    if let Some(best) = top.iter().map(|n| n.similarity).reduce(f32::max) {
        let t = p.neighbour_temperature.max(1e-4);
        for n in &top {
            let w = ((n.similarity - best) / t).exp();
            let labels: Vec<usize> = n.schemes.iter().filter_map(|s| set.index(s)).collect();
            for &i in &labels {
                votes[i] += w / labels.len() as f32;
            }
        }
    }
    // Add-one smoothing relative to the total vote mass.
    let mass: f32 = votes.iter().sum();
    let alpha = 0.05 * mass.max(1e-3) + 1e-3;
    let total = mass + alpha * k as f32;
    votes.iter().map(|v| (v + alpha) / total).collect()
}

/// Signal evidence per scheme (unbounded, ≥ 0).
pub fn signal_evidence(set: &SchemeSet, signals: &[Signal]) -> Vec<f32> {
    let mut ev = vec![0f32; set.len()];
    for s in signals {
        if s.kind == SignalKind::Legitimate {
            if let Some(i) = set.index(NONE) {
                ev[i] += s.weight;
            }
            continue;
        }
        if !s.is_fraud_cue() {
            continue;
        }
        for id in &s.schemes {
            if id != NONE
                && let Some(i) = set.index(id)
            {
                ev[i] += s.weight;
            }
        }
    }
    // Diminishing returns: many weak cues should not outweigh the rest.
    ev.iter().map(|e| (1.0 + e).ln() * 2.0).collect()
}

/// Softmax of `logits / t`.
pub fn softmax(logits: &[f32], t: f32) -> Vec<f32> {
    let t = t.max(1e-3);
    let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = logits.iter().map(|l| ((l - m) / t).exp()).collect();
    let z: f32 = e.iter().sum();
    e.iter().map(|x| x / z).collect()
}

/// Fuse the components into probabilities.
pub fn classify(
    set: &SchemeSet,
    channel: Channel,
    neighbours: &[Neighbour],
    signals: &[Signal],
    llm_logprobs: Option<Vec<f32>>,
    components: Components,
    p: &ClassifierParams,
) -> Classification {
    let nd = neighbour_distribution(set, neighbours, p);
    let se = signal_evidence(set, signals);
    let channel_name = match channel {
        Channel::Complaint => "complaint",
        Channel::Application => "application",
    };
    let (wn, ws, wl, prior) = match components {
        Components::Fused => (p.w_neighbours, p.w_signals, p.w_llm, p.none_prior),
        Components::NeighboursOnly => (1.0, 0.0, 0.0, 0.0),
        Components::SignalsOnly => (0.0, 1.0, 0.0, p.none_prior),
        Components::LlmOnly => (0.0, 0.0, 1.0, 0.0),
    };
    let llm_dist = llm_logprobs.as_ref().map(|l| softmax(l, 1.0));
    let logits: Vec<f32> = set
        .schemes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut l = wn * nd[i].ln() + ws * se[i];
            if let Some(d) = &llm_dist {
                l += wl * d[i].max(1e-6).ln();
            }
            if s.id == NONE {
                l += prior;
            }
            if !s.applies_to.iter().any(|a| a == channel_name) {
                l -= p.channel_penalty;
            }
            l
        })
        .collect();
    Classification {
        probabilities: softmax(&logits, p.temperature),
        components: ComponentScores {
            neighbours: nd,
            signals: se,
            llm: llm_dist,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::schemes::Scheme;

    fn set() -> SchemeSet {
        let s = |id: &str, applies: &[&str]| Scheme {
            id: id.into(),
            name: id.into(),
            applies_to: applies.iter().map(|a| a.to_string()).collect(),
            grade_hints: Default::default(),
        };
        SchemeSet {
            schemes: vec![
                s("a", &["complaint"]),
                s("b", &["complaint", "application"]),
                s(NONE, &["complaint", "application"]),
            ],
        }
    }

    fn n(schemes: &[&str], sim: f32) -> Neighbour {
        Neighbour {
            doc_id: String::new(),
            title: String::new(),
            schemes: schemes.iter().map(|s| s.to_string()).collect(),
            similarity: sim,
        }
    }

    fn sig(kind: SignalKind, schemes: &[&str], w: f32) -> Signal {
        Signal {
            kind,
            label: String::new(),
            explanation: String::new(),
            span: None,
            field: None,
            weight: w,
            schemes: schemes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn closer_neighbours_count_more() {
        let p = ClassifierParams::default();
        let d = neighbour_distribution(
            &set(),
            &[n(&["a"], 0.90), n(&["b"], 0.85), n(&["b"], 0.84)],
            &p,
        );
        assert!(d[0] > d[1] && d[1] > d[2], "{d:?}");
        assert!((d.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        // No neighbours: uniform.
        let u = neighbour_distribution(&set(), &[], &p);
        assert!(u.iter().all(|x| (x - 1.0 / 3.0).abs() < 1e-4), "{u:?}");
    }

    #[test]
    fn signals_and_prior_decide_when_neighbours_are_silent() {
        let p = ClassifierParams::default();
        let s = set();
        let none = classify(
            &s,
            Channel::Complaint,
            &[],
            &[],
            None,
            Components::Fused,
            &p,
        );
        assert_eq!(argmax(&none.probabilities), 2, "the prior favours none");
        let fraud = classify(
            &s,
            Channel::Complaint,
            &[],
            &[
                sig(SignalKind::FeeDemand, &["a"], 0.9),
                sig(SignalKind::ThirdPartyAgent, &["a"], 0.7),
            ],
            None,
            Components::Fused,
            &p,
        );
        assert_eq!(argmax(&fraud.probabilities), 0);
        // The same cues on a channel the scheme does not apply to lose their pull.
        let app = classify(
            &s,
            Channel::Application,
            &[],
            &[sig(SignalKind::FeeDemand, &["a"], 0.9)],
            None,
            Components::Fused,
            &p,
        );
        assert_ne!(argmax(&app.probabilities), 0);
        // With the neighbours split, legitimate cues tip it to none.
        let legit = classify(
            &s,
            Channel::Complaint,
            &[n(&["a"], 0.8), n(&[NONE], 0.8)],
            &[sig(SignalKind::Legitimate, &[NONE], 0.8)],
            None,
            Components::Fused,
            &p,
        );
        assert_eq!(argmax(&legit.probabilities), 2);
    }

    #[test]
    fn probabilities_sum_to_one_in_every_mode() {
        let p = ClassifierParams::default();
        for c in [
            Components::Fused,
            Components::NeighboursOnly,
            Components::SignalsOnly,
            Components::LlmOnly,
        ] {
            let r = classify(
                &set(),
                Channel::Complaint,
                &[n(&["b"], 0.9)],
                &[sig(SignalKind::Template, &["a"], 0.5)],
                Some(vec![-3.0, -1.0, -2.0]),
                c,
                &p,
            );
            assert!((r.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }

    fn argmax(v: &[f32]) -> usize {
        v.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap()
    }
}
