//! The classifier the knowledge base teaches: scheme, role and "how clear"
//! learned from the curated examples each time they change.
//!
//! Hand-set weights matched our own examples and missed the world (real
//! cases scored 0.75 macro-F1 where our dev set said 0.87). Here every
//! labelled example becomes one training row:
//!
//! - its text embedding (e5, `query:` form of the normalised text with
//!   slang expanded — the same form an assessment is embedded in),
//! - the vote of its nearest *other* examples (scheme distribution, role
//!   distribution, share graded red, best similarity; examples from the same
//!   public source are never each other's neighbours, as a new case has no
//!   twin in the knowledge base),
//! - the signal evidence per scheme, the legitimate evidence, the evidence
//!   per signal kind, channel and whether structured fields came with it,
//! - the curated cues that match (`rolecues`: who is writing, how far the
//!   scheme went), per role, per grade and one indicator per cue.
//!
//! Three softmax heads share those rows (`learn`): the scheme, the role of
//! the submitter, and — on the positive examples — whether curators graded
//! it red. Their temperatures come from grouped cross-validation (folds by
//! source), which also gives the numbers `caseguard eval` prints as the
//! knowledge base's own cross-validated quality. Training is deterministic
//! and takes about a second for 600 examples on two cores; the slow part,
//! embedding the examples, is cached by text.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::applicant::Applicant;
use super::classify::{Neighbour, neighbour_distribution, signal_evidence, softmax};
use super::eval::expected_calibration_error;
use super::grade::Grade;
use super::learn::{Head, LearnError, calibrate, cross_val_logits, group_folds};
use super::normalize::Normalized;
use super::role::SubmitterRole;
use super::rolecues::RoleCues;
use super::schemes::{NONE, SchemeSet};
use super::signals::{Channel, Detector, Signal, SignalKind};

/// Signal kinds in feature order.
const KINDS: [SignalKind; 14] = [
    SignalKind::Slang,
    SignalKind::Template,
    SignalKind::RegulatorThreat,
    SignalKind::MediaThreat,
    SignalKind::ThirdPartyAgent,
    SignalKind::FeeDemand,
    SignalKind::HardshipProof,
    SignalKind::ForgedDocument,
    SignalKind::CreditRepairPromise,
    SignalKind::SurrenderCoaching,
    SignalKind::SyntheticMedia,
    SignalKind::CrossCheck,
    SignalKind::Campaign,
    SignalKind::Legitimate,
];

#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelParams {
    /// L2 penalty of the heads (summed log-loss + alpha/2·|w|²).
    pub alpha: f64,
    /// Cross-validation folds (grouped by source) for the temperatures.
    pub folds: usize,
    /// Examples that vote as neighbours.
    pub neighbours: usize,
    /// Weight of the embedding block after standardisation (the other
    /// features keep 1): below 1 the 384 embedding dimensions are
    /// penalised harder than the few neighbour and signal features.
    pub embedding_scale: f64,
    /// One feature per curated cue besides the per-role and per-grade
    /// counts (`false`: the counts only).
    pub cue_indicators: bool,
}

impl Default for ModelParams {
    fn default() -> Self {
        Self {
            alpha: 30.0,
            folds: 5,
            neighbours: 10,
            embedding_scale: 1.0,
            cue_indicators: true,
        }
    }
}

/// One curated example as the trainer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub doc_id: String,
    pub title: String,
    pub schemes: Vec<String>,
    pub grade: Option<Grade>,
    pub role: Option<SubmitterRole>,
    pub channel: Channel,
    /// The public source, or the document id when there is none: examples
    /// of one group are never neighbours of each other in training and share
    /// a cross-validation fold.
    pub group: String,
    pub text: String,
    pub applicant: Option<Applicant>,
}

impl Example {
    pub fn top(&self) -> &str {
        self.schemes.first().map_or(NONE, String::as_str)
    }

    /// The curated role, or `legitimate` for an unmarked `none` example.
    pub fn role_or_default(&self) -> Option<SubmitterRole> {
        self.role
            .or_else(|| (self.top() == NONE).then_some(SubmitterRole::Legitimate))
    }
}

/// The examples with their query embeddings, searched by brute force (a
/// few thousand dot products: microseconds).
#[derive(Debug, Clone, Default)]
pub struct ExampleIndex {
    pub examples: Vec<Example>,
    pub vectors: Vec<Vec<f32>>,
}

impl ExampleIndex {
    /// The `k` most similar examples for which `skip` is false.
    pub fn neighbours(
        &self,
        q: &[f32],
        k: usize,
        skip: impl Fn(&Example) -> bool,
    ) -> Vec<Neighbour> {
        let mut scored: Vec<(usize, f32)> = self
            .vectors
            .iter()
            .enumerate()
            .filter(|(i, _)| !skip(&self.examples[*i]))
            .map(|(i, v)| (i, v.iter().zip(q).map(|(a, b)| a * b).sum::<f32>()))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(k)
            .map(|(i, s)| {
                let e = &self.examples[i];
                Neighbour {
                    doc_id: e.doc_id.clone(),
                    title: e.title.clone(),
                    schemes: e.schemes.clone(),
                    grade: e.grade,
                    role: e.role_or_default(),
                    similarity: s,
                }
            })
            .collect()
    }
}

/// The feature row of one text.
pub fn features(
    set: &SchemeSet,
    channel: Channel,
    embedding: &[f32],
    neighbours: &[Neighbour],
    signals: &[Signal],
    has_fields: bool,
    role_cues: &[f64],
) -> Vec<f64> {
    let mut x: Vec<f64> = embedding.iter().map(|&v| f64::from(v)).collect();
    let vote = neighbour_distribution(
        set,
        neighbours,
        &super::classify::ClassifierParams::default(),
    );
    x.extend(vote.iter().map(|&v| f64::from(v)));
    // Role and red share of the neighbours, similarity-weighted.
    let best = neighbours.first().map_or(0.0, |n| n.similarity);
    let mut roles = [0f64; 4];
    let (mut red, mut graded, mut total) = (0f64, 0f64, 0f64);
    for n in neighbours {
        let w = f64::from(((n.similarity - best) / 0.02).exp());
        total += w;
        if let Some(r) = n.role {
            roles[r.index()] += w;
        }
        if let Some(g) = n.grade
            && n.schemes.iter().any(|s| s != NONE)
        {
            graded += w;
            if g == Grade::Red {
                red += w;
            }
        }
    }
    x.extend(roles.iter().map(|r| r / total.max(1e-9)));
    x.push(if graded > 0.0 { red / graded } else { 0.0 });
    x.push(f64::from(best));
    x.extend(signal_evidence(set, signals).iter().map(|&v| f64::from(v)));
    for k in KINDS {
        let w: f32 = signals
            .iter()
            .filter(|s| s.kind == k)
            .map(|s| s.weight)
            .sum();
        x.push(f64::from((1.0 + w).ln()));
    }
    x.push(f64::from(u8::from(channel == Channel::Application)));
    x.push(f64::from(u8::from(has_fields)));
    x.extend_from_slice(role_cues);
    x
}

/// The curated-cue part of a feature row for a text in its matching form
/// ([`Detector::normalize`]).
pub fn cue_features(cues: &RoleCues, params: &ModelParams, normalized: &Normalized) -> Vec<f64> {
    let mut x = cues.features(&normalized.text);
    if !params.cue_indicators {
        x.truncate(super::rolecues::AGGREGATES);
    }
    x
}

/// What the model says about one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelOutput {
    /// Calibrated, in the scheme set's order.
    pub schemes: Vec<f32>,
    /// Calibrated, in [`SubmitterRole::ALL`] order.
    pub roles: Vec<f32>,
    /// Probability that curators would grade it red if it is a scheme.
    pub red: f32,
}

/// Cross-validated quality of the model on its own examples.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrainReport {
    pub examples: usize,
    pub groups: usize,
    pub per_scheme: BTreeMap<String, usize>,
    pub temperature: f32,
    pub role_temperature: f32,
    pub red_temperature: f32,
    /// Grouped k-fold, argmax of the calibrated scheme probabilities.
    pub cv_macro_f1: f64,
    pub cv_role_accuracy: f64,
    pub cv_ece: f64,
    pub train_ms: f64,
}

/// The trained heads and the examples they vote with.
#[derive(Debug, Clone)]
pub struct Model {
    pub index: ExampleIndex,
    scheme_ids: Vec<String>,
    scheme: Head,
    role: Head,
    red: Option<Head>,
    /// The role cues its features were computed with.
    pub role_cues: RoleCues,
    pub params: ModelParams,
    pub report: TrainReport,
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| i)
}

impl Model {
    /// Train on `index` (examples with their query embeddings).
    pub fn train(
        set: &SchemeSet,
        index: ExampleIndex,
        detector: &Detector,
        role_cues: &RoleCues,
        params: ModelParams,
    ) -> Result<Self, LearnError> {
        let started = std::time::Instant::now();
        let ids: Vec<String> = set.schemes.iter().map(|s| s.id.clone()).collect();
        let mut rows = Vec::new();
        let mut y = Vec::new();
        let mut groups = Vec::new();
        let mut kept = Vec::new();
        for (i, e) in index.examples.iter().enumerate() {
            let Some(label) = ids.iter().position(|s| s == e.top()) else {
                continue; // a scheme whose card is gone
            };
            let signals = detector.detect(e.channel, &e.text, e.applicant.as_ref());
            let neighbours = index.neighbours(&index.vectors[i], params.neighbours, |o| {
                o.doc_id == e.doc_id || o.group == e.group
            });
            rows.push(features(
                set,
                e.channel,
                &index.vectors[i],
                &neighbours,
                &signals,
                e.applicant.is_some(),
                &cue_features(role_cues, &params, &detector.normalize(&e.text)),
            ));
            y.push(label);
            groups.push(e.group.clone());
            kept.push(i);
        }
        if rows.is_empty() {
            return Err(LearnError::Empty);
        }
        let k = ids.len();
        let dim_embedding = index.vectors.first().map_or(0, Vec::len);
        let fs: Vec<f64> = (0..rows[0].len())
            .map(|j| {
                if j < dim_embedding {
                    params.embedding_scale
                } else {
                    1.0
                }
            })
            .collect();
        let folds = group_folds(&groups, params.folds.max(2));
        let scheme = Head::fit(&rows, &y, k, params.alpha, &fs)?;
        let oof = cross_val_logits(&rows, &y, k, params.alpha, &fs, &folds)?;
        let temperature = calibrate(&oof, &y);

        // Role: every example with a role (unmarked `none` → legitimate).
        let (mut rrows, mut ry, mut rfolds) = (Vec::new(), Vec::new(), Vec::new());
        for (j, &i) in kept.iter().enumerate() {
            if let Some(r) = index.examples[i].role_or_default() {
                rrows.push(rows[j].clone());
                ry.push(r.index());
                rfolds.push(folds[j]);
            }
        }
        let (role, role_temperature, role_oof) = if rrows.is_empty() {
            (
                Head::fit(&rows, &vec![0; rows.len()], 4, params.alpha, &fs)?,
                1.0,
                Vec::new(),
            )
        } else {
            let h = Head::fit(&rrows, &ry, 4, params.alpha, &fs)?;
            let o = cross_val_logits(&rrows, &ry, 4, params.alpha, &fs, &rfolds)?;
            let t = calibrate(&o, &ry);
            (h, t, o)
        };

        // Red versus yellow among graded positives.
        let (mut grows, mut gy, mut gfolds) = (Vec::new(), Vec::new(), Vec::new());
        for (j, &i) in kept.iter().enumerate() {
            let e = &index.examples[i];
            if e.top() != NONE
                && let Some(g) = e.grade
            {
                grows.push(rows[j].clone());
                gy.push(usize::from(g == Grade::Red));
                gfolds.push(folds[j]);
            }
        }
        let (red, red_temperature) = if gy.contains(&0) && gy.contains(&1) {
            let h = Head::fit(&grows, &gy, 2, params.alpha, &fs)?;
            let o = cross_val_logits(&grows, &gy, 2, params.alpha, &fs, &gfolds)?;
            (Some(h), calibrate(&o, &gy))
        } else {
            (None, 1.0)
        };

        // Cross-validated numbers at the fitted temperatures.
        let mut points = Vec::new();
        let mut tp = vec![0usize; k];
        let mut fp = vec![0usize; k];
        let mut support = vec![0usize; k];
        for (l, &t) in oof.iter().zip(&y) {
            let p = softmax(
                &l.iter().map(|&v| v as f32).collect::<Vec<_>>(),
                temperature,
            );
            let best = argmax(&p);
            points.push((p[best], best == t));
            support[t] += 1;
            if best == t {
                tp[t] += 1;
            } else {
                fp[best] += 1;
            }
        }
        let f1s: Vec<f64> = (0..k)
            .filter(|&c| support[c] > 0)
            .map(|c| {
                let p = tp[c] as f64 / (tp[c] + fp[c]).max(1) as f64;
                let r = tp[c] as f64 / support[c] as f64;
                if p + r == 0.0 {
                    0.0
                } else {
                    2.0 * p * r / (p + r)
                }
            })
            .collect();
        let role_right = role_oof
            .iter()
            .zip(&ry)
            .filter(|(l, t)| {
                let p: Vec<f32> = l.iter().map(|&v| v as f32).collect();
                argmax(&p) == **t
            })
            .count();
        let mut per_scheme = BTreeMap::new();
        for &c in &y {
            *per_scheme.entry(ids[c].clone()).or_insert(0) += 1;
        }
        let report = TrainReport {
            examples: rows.len(),
            groups: groups
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len(),
            per_scheme,
            temperature,
            role_temperature,
            red_temperature,
            cv_macro_f1: f1s.iter().sum::<f64>() / f1s.len().max(1) as f64,
            cv_role_accuracy: role_right as f64 / ry.len().max(1) as f64,
            cv_ece: expected_calibration_error(&points),
            train_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        Ok(Self {
            index,
            scheme_ids: ids,
            scheme,
            role,
            red,
            role_cues: role_cues.clone(),
            params,
            report,
        })
    }

    /// Whether this model was trained for this label set.
    pub fn fits(&self, set: &SchemeSet) -> bool {
        self.scheme_ids.len() == set.schemes.len()
            && self
                .scheme_ids
                .iter()
                .zip(&set.schemes)
                .all(|(a, b)| *a == b.id)
    }

    pub fn predict(&self, x: &[f64]) -> ModelOutput {
        let r = &self.report;
        ModelOutput {
            schemes: self.scheme.probabilities(x, r.temperature),
            roles: self.role.probabilities(x, r.role_temperature),
            red: self
                .red
                .as_ref()
                .map_or(0.5, |h| h.probabilities(x, r.red_temperature)[1]),
        }
    }
}

/// Query-embedding cache for the examples, keyed by the exact text that was
/// embedded, so retraining after a curator's change embeds only what is new.
#[derive(Debug, Default)]
pub struct EmbeddingCache {
    map: HashMap<String, Vec<f32>>,
}

impl EmbeddingCache {
    pub fn get(&self, text: &str) -> Option<&Vec<f32>> {
        self.map.get(text)
    }

    pub fn insert(&mut self, text: String, v: Vec<f32>) {
        self.map.insert(text, v);
    }

    /// Load from a file written by [`EmbeddingCache::save`]; empty when the
    /// file is missing or unreadable (it is only a cache).
    pub fn load(path: &std::path::Path, dim: usize) -> Self {
        let mut map = HashMap::new();
        if let Ok(bytes) = std::fs::read(path) {
            let mut at = 0usize;
            while at + 4 <= bytes.len() {
                let n = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
                    as usize;
                at += 4;
                if at + n + 4 * dim > bytes.len() {
                    break;
                }
                let Ok(text) = std::str::from_utf8(&bytes[at..at + n]) else {
                    break;
                };
                at += n;
                let v: Vec<f32> = bytes[at..at + 4 * dim]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                at += 4 * dim;
                map.insert(text.to_string(), v);
            }
        }
        Self { map }
    }

    /// Write atomically (temp file + rename).
    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mut keys: Vec<&String> = self.map.keys().collect();
        keys.sort();
        let mut out = Vec::new();
        for k in keys {
            out.extend((k.len() as u32).to_le_bytes());
            out.extend(k.as_bytes());
            for f in &self.map[k] {
                out.extend(f.to_le_bytes());
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, out)?;
        std::fs::rename(tmp, path)
    }

    /// Keep only the texts in `keep` (examples removed from the knowledge
    /// base leave the cache at the next save).
    pub fn retain(&mut self, keep: &std::collections::HashSet<&str>) {
        self.map.retain(|k, _| keep.contains(k.as_str()));
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::schemes::Scheme;
    use crate::kb::lexicon::Lexicon;

    fn set() -> SchemeSet {
        let s = |id: &str| Scheme {
            id: id.into(),
            name: id.into(),
            applies_to: vec!["complaint".into(), "application".into()],
            grade_hints: Default::default(),
            role_hints: Default::default(),
        };
        SchemeSet {
            schemes: vec![s("a"), s("b"), s(NONE)],
        }
    }

    /// Three labels in three directions of a small space; sources pair up
    /// examples.
    fn index() -> ExampleIndex {
        let mut examples = Vec::new();
        let mut vectors = Vec::new();
        for i in 0..60 {
            let (label, role, grade) = match i % 3 {
                0 => ("a", SubmitterRole::Intermediary, Grade::Red),
                1 => ("b", SubmitterRole::Victim, Grade::Yellow),
                _ => (NONE, SubmitterRole::Legitimate, Grade::Green),
            };
            let mut v = [0.05f32 * ((i * 7 % 5) as f32); 8];
            v[i % 3] += 1.0;
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            vectors.push(v.iter().map(|x| x / n).collect());
            examples.push(Example {
                doc_id: format!("ex-{i}"),
                title: String::new(),
                schemes: vec![label.into()],
                grade: Some(grade),
                role: Some(role),
                channel: Channel::Complaint,
                group: format!("src-{}", i / 2),
                text: format!("例子{i}"),
                applicant: None,
            });
        }
        ExampleIndex { examples, vectors }
    }

    #[test]
    fn training_is_deterministic_and_learns_scheme_role_and_red() {
        let detector = Detector::new(&Lexicon::default());
        let cues = RoleCues::default();
        let m1 = Model::train(&set(), index(), &detector, &cues, ModelParams::default()).unwrap();
        let m2 = Model::train(&set(), index(), &detector, &cues, ModelParams::default()).unwrap();
        let q = {
            let mut v = vec![0.0f32; 8];
            v[0] = 1.0;
            v
        };
        let row = |m: &Model| {
            let n = m.index.neighbours(&q, 10, |_| false);
            features(&set(), Channel::Complaint, &q, &n, &[], false, &[])
        };
        let (o1, o2) = (m1.predict(&row(&m1)), m2.predict(&row(&m2)));
        assert_eq!(o1, o2, "same examples, same model");
        assert!(o1.schemes[0] > 0.8, "{o1:?}");
        assert_eq!(argmax(&o1.roles), SubmitterRole::Intermediary.index());
        assert!(o1.red > 0.5, "{o1:?}");
        assert_eq!(m1.report.examples, 60);
        assert!(m1.report.cv_macro_f1 > 0.9, "{:?}", m1.report);
        assert!(m1.fits(&set()));
    }

    #[test]
    fn neighbours_skip_what_they_are_told_to() {
        let ix = index();
        let q = ix.vectors[0].clone();
        let all = ix.neighbours(&q, 3, |_| false);
        assert_eq!(all[0].doc_id, "ex-0");
        let other = ix.neighbours(&q, 3, |e| e.group == "src-0");
        assert!(
            other
                .iter()
                .all(|n| n.doc_id != "ex-0" && n.doc_id != "ex-1")
        );
    }

    #[test]
    fn embedding_cache_round_trips() {
        let dir = std::env::temp_dir().join(format!("cg-cache-{}", std::process::id()));
        let path = dir.join("q.bin");
        let mut c = EmbeddingCache::default();
        c.insert("征信修复".into(), vec![0.5, -1.0, 2.0]);
        c.insert("分期".into(), vec![1.0, 0.0, 0.25]);
        c.save(&path).unwrap();
        let back = EmbeddingCache::load(&path, 3);
        assert_eq!(back.len(), 2);
        assert_eq!(back.get("征信修复"), Some(&vec![0.5, -1.0, 2.0]));
        let mut pruned = EmbeddingCache::load(&path, 3);
        pruned.retain(&["分期"].into_iter().collect());
        assert_eq!((pruned.len(), pruned.get("征信修复")), (1, None));
        // A truncated file loses only the broken tail.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(EmbeddingCache::load(&path, 3).len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
