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
//! channel. A temperature turns logits into probabilities; it is fitted by
//! minimising the negative log-likelihood of the true scheme on labelled
//! data ([`fit_temperature`], reported by `caseguard eval`). The component
//! weights, prior and temperature live in [`ClassifierParams`] (config
//! `[assess]`).

use serde::{Deserialize, Serialize};

use super::grade::Grade;
use super::role::SubmitterRole;
use super::schemes::{NONE, SchemeSet};
use super::signals::{Channel, Signal, SignalKind};

/// Which components take part: the learned model in production, the others
/// for `eval --ablate` (the hand-weighted fusion it replaced is the
/// baseline measured in the same run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Components {
    /// The classifier trained from the knowledge base's examples.
    Learned,
    /// The learned classifier with the LLM's label scores added.
    LearnedWithLlm,
    /// Hand-weighted fusion of neighbours and signals (the former default).
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
    /// Divides the fused logits before the softmax (calibration; see
    /// [`fit_temperature`]).
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
            // Fitted by NLL on the knowledge base's 160 labelled examples,
            // each left out of its own retrieval (`caseguard eval --set
            // knowledge-base/examples --leave-one-out` prints the fit):
            // T = 0.38; NLL there 0.302 → 0.164, ECE 0.152 → 0.008; on
            // eval/dev.jsonl NLL 0.521 → 0.377, ECE 0.181 → 0.064 (dev alone
            // would fit T = 0.44: NLL 0.372, ECE 0.054). At 1.0 the fused
            // logits were underconfident: dev items at 40–50% confidence
            // were right 75% of the time. A bias on `none` fitted jointly
            // did not lower the NLL (by < 0.001), so `none_prior` stays.
            temperature: 0.38,
        }
    }
}

/// A labelled neighbour: its schemes, its curated grade (when the example
/// has one) and cosine similarity to the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Neighbour {
    pub doc_id: String,
    pub title: String,
    pub schemes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    /// The curated role of the example's submitter, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<SubmitterRole>,
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

/// One labelled case for [`fit_temperature`]: fused logits (any additive
/// constant) and the index of the true scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledLogits {
    pub logits: Vec<f32>,
    pub label: usize,
}

/// Recover fused logits (up to an additive constant) from probabilities
/// computed at temperature `t`: `t · ln p`. Probabilities that underflowed to
/// zero are floored at the smallest positive `f32`.
pub fn logits_from_probabilities(probabilities: &[f32], t: f32) -> Vec<f32> {
    probabilities
        .iter()
        .map(|&p| t * p.max(f32::MIN_POSITIVE).ln())
        .collect()
}

/// Mean negative log-likelihood of the labels under `softmax(logits / t)`.
pub fn mean_nll(cases: &[LabelledLogits], t: f32) -> f64 {
    if cases.is_empty() {
        return 0.0;
    }
    let t = f64::from(t.max(1e-3));
    let total: f64 = cases
        .iter()
        .map(|c| {
            let z: Vec<f64> = c.logits.iter().map(|&l| f64::from(l) / t).collect();
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            lse - z.get(c.label).copied().unwrap_or(f64::NEG_INFINITY)
        })
        .sum();
    total / cases.len() as f64
}

/// The temperature in [0.05, 20] that minimises [`mean_nll`] (temperature
/// scaling). The NLL is convex in 1/t, so a golden-section search over
/// ln t finds its single minimum. `None` without cases.
pub fn fit_temperature(cases: &[LabelledLogits]) -> Option<f32> {
    if cases.is_empty() {
        return None;
    }
    let f = |ln_t: f64| mean_nll(cases, ln_t.exp() as f32);
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..80 {
        if fc <= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    Some(((a + b) / 2.0).exp() as f32)
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
        Components::Fused | Components::Learned | Components::LearnedWithLlm => {
            (p.w_neighbours, p.w_signals, p.w_llm, p.none_prior)
        }
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
            role_hints: Default::default(),
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
            grade: None,
            role: None,
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

    /// A small deterministic generator (xorshift) for synthetic data.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Cases whose labels are drawn from `softmax(logits / t_true)`.
    fn synthetic(t_true: f32, n: usize, seed: u64) -> Vec<LabelledLogits> {
        let mut rng = Rng(seed);
        (0..n)
            .map(|_| {
                let logits: Vec<f32> = (0..5).map(|_| (rng.next() * 4.0 - 2.0) as f32).collect();
                let p = softmax(&logits, t_true);
                let u = rng.next() as f32;
                let mut acc = 0.0;
                let label = p
                    .iter()
                    .position(|&q| {
                        acc += q;
                        u < acc
                    })
                    .unwrap_or(p.len() - 1);
                LabelledLogits { logits, label }
            })
            .collect()
    }

    #[test]
    fn temperature_fit_recovers_the_generating_temperature() {
        for t_true in [0.4f32, 1.0, 2.5] {
            let cases = synthetic(t_true, 20_000, 0x9e37_79b9_7f4a_7c15);
            let t = fit_temperature(&cases).unwrap();
            assert!((t / t_true - 1.0).abs() < 0.08, "fitted {t}, true {t_true}");
            // It is the minimum: nearby temperatures do worse.
            let best = mean_nll(&cases, t);
            assert!(best <= mean_nll(&cases, t * 0.9) && best <= mean_nll(&cases, t * 1.1));
        }
        assert_eq!(fit_temperature(&[]), None);
    }

    #[test]
    fn logits_recovered_from_probabilities_give_the_same_softmax() {
        let logits = [1.5f32, -0.5, 0.2, 3.0];
        for t in [0.38f32, 1.0] {
            let p = softmax(&logits, t);
            let back = logits_from_probabilities(&p, t);
            // Shift-invariant: differences are preserved.
            for i in 0..logits.len() {
                assert!(((back[i] - back[0]) - (logits[i] - logits[0])).abs() < 1e-4);
            }
            let q = softmax(&back, t);
            assert!(p.iter().zip(&q).all(|(a, b)| (a - b).abs() < 1e-6));
        }
        // Rescaling to another temperature: softmax(t1·ln p / t2) = softmax(z / t2).
        let p1 = softmax(&logits, 1.0);
        let p2 = softmax(&logits_from_probabilities(&p1, 1.0), 0.5);
        let direct = softmax(&logits, 0.5);
        assert!(p2.iter().zip(&direct).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    fn argmax(v: &[f32]) -> usize {
        v.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap()
    }
}
