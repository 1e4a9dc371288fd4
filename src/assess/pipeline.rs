//! The assessment pipeline: text (and structured fields) in, assessment out.
//!
//! normalise + signals → one query embedding → retrieval of labelled
//! neighbours (same channel) and of facts (patterns, cases, regulations) →
//! classification (neighbours + signals, and the LLM's label scores when the
//! fast components leave doubt or config asks for it) → grade and reasons →
//! evidence chain. Models are reached through their services (bounded
//! queues); store calls run on blocking threads.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::applicant::Applicant;
use super::classify::{
    Classification, ClassifierParams, Components, Neighbour, classify, neighbour_distribution,
    softmax,
};
use super::grade::{DecisionParams, Grade, GradeParams, decide, grade};
use super::model::{
    EmbeddingCache, Example, ExampleIndex, Model, ModelParams, cue_features, features,
};
use super::role::SubmitterRole;
use super::rolecues::RoleCues;
use super::schemes::{NONE, SchemeSet};
use super::signals::{Channel, Detector, Signal};
use crate::config::Config;
use crate::embed::Role;
use crate::evidence::{self, Evidence};
use crate::kb::lexicon::Lexicon;
use crate::kb::sync::{SyncReport, sync_dir};
use crate::services::{EmbedService, LlmService, ServiceError};
use crate::store::{
    FieldCondition, Filter, Hit, KB_COLLECTION, Mode, SearchRequest, StoreError, VectorStore,
};

/// When the LLM's label scores take part in classification.
///
/// Off by default: on the dev set the shipped 270M Gemma's label scores
/// raised false positives on legitimate complaints from 3% to 22% and the
/// p50 latency from 45 ms to 700 ms, for no gain in macro-F1 (see README).
/// A larger local model may earn its place; `eval --ablate` measures it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LlmMode {
    /// Never (fastest).
    #[default]
    Off,
    /// Only when neighbours and signals leave the top probability below
    /// `llm_below`.
    Uncertain,
    /// On every assessment.
    Always,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssessConfig {
    /// The learned classifier (trained from the knowledge base's examples).
    pub model: ModelParams,
    /// Scheme / grade decision on the learned probabilities.
    pub decision: DecisionParams,
    /// The hand-weighted fusion (baseline for `eval --ablate`).
    pub classifier: ClassifierParams,
    pub grade: GradeParams,
    pub llm: LlmMode,
    pub llm_below: f32,
    /// Labelled examples retrieved as neighbours.
    pub neighbours: usize,
    /// Knowledge-base chunks (patterns, cases, regulations) cited.
    pub facts: usize,
    /// Longest text accepted, in characters.
    pub max_text_chars: usize,
}

impl Default for AssessConfig {
    fn default() -> Self {
        Self {
            model: ModelParams::default(),
            decision: DecisionParams::default(),
            classifier: ClassifierParams::default(),
            grade: GradeParams::default(),
            llm: LlmMode::Off,
            llm_below: 0.75,
            neighbours: 12,
            facts: 8,
            max_text_chars: 20_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// The input is malformed or inconsistent (the message says what to fix).
    #[error("{0}")]
    Invalid(String),
    /// No text to assess.
    #[error("{0}")]
    Empty(String),
    /// The text is over `max_text_chars`.
    #[error("{0}")]
    TooLong(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a handler submits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessInput {
    pub kind: Channel,
    pub text: String,
    #[serde(default)]
    pub applicant: Option<Applicant>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SchemeScore {
    pub id: String,
    pub name: String,
    pub confidence: f32,
}

/// A knowledge-base chunk the assessment relies on; `id` ("K1"…) is what
/// reasons, doubts and the draft cite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citation {
    pub id: String,
    pub doc_id: String,
    pub chunk_id: String,
    pub kind: String,
    pub title: String,
    pub schemes: Vec<String>,
    pub excerpt: String,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Versions {
    pub caseguard: String,
    pub embedding_model: String,
    pub llm: String,
    /// SHA-256 over the knowledge base's (document, content hash) pairs.
    pub knowledge_base: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Timings {
    pub signals_ms: f64,
    pub embed_ms: f64,
    pub retrieve_ms: f64,
    pub llm_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assessment {
    pub id: String,
    pub kind: Channel,
    pub created_at: String,
    pub grade: Grade,
    /// A scheme id, `none`, or `insufficient_evidence`.
    pub top_scheme: String,
    /// Who the submitter is: `legitimate` with `none`, else victim,
    /// participant or intermediary.
    #[serde(default)]
    pub role: SubmitterRole,
    /// The learned probability of that role.
    #[serde(default)]
    pub role_confidence: f32,
    /// Every scheme, by confidence.
    pub schemes: Vec<SchemeScore>,
    pub signals: Vec<Signal>,
    pub citations: Vec<Citation>,
    pub similar: Vec<Neighbour>,
    pub evidence: Evidence,
    pub reasons: Vec<String>,
    /// Whether the LLM's label scores took part.
    pub llm_consulted: bool,
    pub versions: Versions,
    pub timings: Timings,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicant: Option<Applicant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// The text's query embedding (e5, normalised): kept with the stored
    /// assessment for finding similar ones later; never serialised.
    #[serde(skip)]
    pub embedding: Vec<f32>,
}

/// Options for evaluation runs.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions<'a> {
    pub components: Components,
    /// Leave this knowledge-base document out of retrieval (leave-one-out
    /// evaluation on the labelled examples).
    pub exclude_doc: Option<&'a str>,
    /// Signals found outside the text (campaign links), added to the text's own.
    pub extra_signals: &'a [Signal],
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        Self {
            components: Components::Learned,
            exclude_doc: None,
            extra_signals: &[],
        }
    }
}

/// What [`Assessor::start`] brings up.
pub struct Started {
    pub assessor: Assessor,
    /// The embedding service the assessor uses (for later syncs).
    pub embed: EmbedService,
    /// The start-up sync of the knowledge-base folder; `None` without one.
    pub sync: Option<SyncReport>,
}

/// The slang lexicon of a knowledge-base folder; empty (with a warning)
/// when it cannot be read.
pub fn load_lexicon(root: &Path) -> Lexicon {
    let path = root.join("lexicon.toml");
    Lexicon::load(&path).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no slang lexicon");
        Lexicon::default()
    })
}

/// The role cues of a knowledge-base folder; none (with a warning) when
/// the file is broken — the message says what to fix.
pub fn load_role_cues(root: &Path) -> RoleCues {
    RoleCues::load(&root.join("roles.toml")).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "role cues not loaded");
        RoleCues::default()
    })
}

/// The curated word lists an assessor reads from the knowledge-base folder.
pub struct Curated {
    pub lexicon: Lexicon,
    pub role_cues: RoleCues,
}

/// Labels and the knowledge-base version, reloaded when the KB changes.
struct KbState {
    schemes: Arc<SchemeSet>,
    version: String,
    /// Trained from the examples; `None` when there are none (the
    /// hand-weighted fusion answers then).
    model: Option<Arc<Model>>,
}

/// The form of a text that is embedded for classification: normalised
/// (width, traditional → simplified, noise between characters removed,
/// sound-alike spellings repaired) with slang expanded to its canonical
/// terms, so "zx 修 复", 征心修付 and 征信修复 meet.
pub fn embedding_form(detector: &Detector, text: &str) -> String {
    detector.lexicon().expand(&detector.normalize(text).text)
}

/// One stored chunk of an example: its index and payload.
type ChunkPayload = (u64, serde_json::Map<String, Value>);

/// The labelled examples in the store, one per document (chunks joined in
/// order), with their curated schemes, grade, role, channel and source.
pub fn load_examples(store: &dyn VectorStore) -> Result<Vec<Example>, StoreError> {
    let filter = Filter {
        kinds: vec!["example".into()],
        ..Filter::default()
    };
    let mut by_doc: std::collections::BTreeMap<String, Vec<ChunkPayload>> =
        std::collections::BTreeMap::new();
    for p in store.scroll(&filter, crate::store::Fields::All, false)? {
        let Some(id) = p.payload.get("doc_id").and_then(Value::as_str) else {
            continue;
        };
        let idx = p
            .payload
            .get("chunk_index")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        by_doc
            .entry(id.to_string())
            .or_default()
            .push((idx, p.payload));
    }
    let mut out = Vec::new();
    for (doc_id, mut chunks) in by_doc {
        chunks.sort_by_key(|(i, _)| *i);
        let first = &chunks[0].1;
        let extra = first.get("extra").cloned().unwrap_or(Value::Null);
        let str_of = |m: &serde_json::Map<String, Value>, k: &str| {
            m.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let schemes: Vec<String> = first
            .get("schemes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if schemes.is_empty() {
            continue;
        }
        let channel = match extra.get("channel").and_then(Value::as_str) {
            Some("application") => Channel::Application,
            _ => Channel::Complaint,
        };
        let source = str_of(first, "source");
        let text = chunks
            .iter()
            .map(|(_, m)| str_of(m, "text"))
            .collect::<Vec<_>>()
            .join("");
        out.push(Example {
            title: str_of(first, "title"),
            schemes,
            grade: extra
                .get("grade")
                .and_then(Value::as_str)
                .and_then(Grade::parse),
            role: extra
                .get("role")
                .and_then(Value::as_str)
                .and_then(SubmitterRole::parse),
            channel,
            group: if source.trim().is_empty() {
                doc_id.clone()
            } else {
                source
            },
            applicant: extra
                .get("applicant")
                .and_then(|a| serde_json::from_value::<Applicant>(a.clone()).ok()),
            text,
            doc_id,
        });
    }
    Ok(out)
}

pub struct Assessor {
    embed: EmbedService,
    llm: Option<LlmService>,
    store: Arc<dyn VectorStore>,
    lexicon: RwLock<Arc<Lexicon>>,
    detector: RwLock<Arc<Detector>>,
    role_cues: RwLock<Arc<RoleCues>>,
    kb: RwLock<Arc<KbState>>,
    config: AssessConfig,
    embedding_model: String,
    /// Content-free label scores per (channel, candidates), for calibration.
    llm_baseline: Mutex<HashMap<String, Vec<f32>>>,
    /// Query embeddings of the examples, and where they are kept on disk.
    example_cache: Mutex<EmbeddingCache>,
    cache_path: Option<std::path::PathBuf>,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn excerpt(text: &str, max_chars: usize) -> String {
    let mut s: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        s.push('…');
    }
    s
}

/// The short display name of a scheme for the LLM prompt (before any
/// parenthesis).
fn short_name(name: &str) -> &str {
    name.split(['（', '(']).next().unwrap_or(name).trim()
}

impl Assessor {
    /// Everything an assessment needs, from the config: the models on their
    /// workers (the LLM when `[assess] llm` uses it or `load_llm` asks), the
    /// knowledge-base store synced with the folder, the lexicon. Blocking.
    pub fn start(config: &Config, load_llm: bool) -> anyhow::Result<Started> {
        let embed = EmbedService::start(config)?;
        let llm = if config.assess.llm == LlmMode::Off && !load_llm {
            None
        } else {
            Some(LlmService::start(config)?)
        };
        std::fs::create_dir_all(&config.data_dir)?;
        let store = crate::store::open(config, KB_COLLECTION, embed.dim())?;
        let sync = if config.knowledge_base.is_dir() {
            Some(sync_dir(&embed, store.as_ref(), &config.knowledge_base)?)
        } else {
            None
        };
        let name = config
            .models
            .embedding
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let assessor = Assessor::new(
            embed.clone(),
            llm,
            store,
            Curated {
                lexicon: load_lexicon(&config.knowledge_base),
                role_cues: load_role_cues(&config.knowledge_base),
            },
            config.assess.clone(),
            name,
            Some(config.data_dir.join("example-embeddings.bin")),
        )?;
        Ok(Started {
            assessor,
            embed,
            sync,
        })
    }

    /// Build the assessor; reads the label set and the knowledge-base version
    /// from the store (blocking: call before serving or from a blocking task).
    pub fn new(
        embed: EmbedService,
        llm: Option<LlmService>,
        store: Arc<dyn VectorStore>,
        curated: Curated,
        config: AssessConfig,
        embedding_model: String,
        cache_path: Option<std::path::PathBuf>,
    ) -> Result<Self, AssessError> {
        let Curated { lexicon, role_cues } = curated;
        let detector = Detector::new(&lexicon);
        let example_cache = cache_path
            .as_deref()
            .map(|p| EmbeddingCache::load(p, embed.dim()))
            .unwrap_or_default();
        let a = Self {
            embed,
            llm,
            store,
            lexicon: RwLock::new(Arc::new(lexicon)),
            detector: RwLock::new(Arc::new(detector)),
            role_cues: RwLock::new(Arc::new(role_cues)),
            kb: RwLock::new(Arc::new(KbState {
                schemes: Arc::new(SchemeSet::default()),
                version: String::new(),
                model: None,
            })),
            config,
            embedding_model,
            llm_baseline: Mutex::new(HashMap::new()),
            example_cache: Mutex::new(example_cache),
            cache_path,
        };
        a.reload_kb()?;
        Ok(a)
    }

    pub fn config(&self) -> &AssessConfig {
        &self.config
    }

    pub fn schemes(&self) -> Arc<SchemeSet> {
        self.kb
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .schemes
            .clone()
    }

    pub fn kb_version(&self) -> String {
        self.kb
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .version
            .clone()
    }

    pub fn store(&self) -> &Arc<dyn VectorStore> {
        &self.store
    }

    pub fn embed(&self) -> &EmbedService {
        &self.embed
    }

    /// The LLM service, when it was loaded (drafts need it).
    pub fn llm(&self) -> Option<&LlmService> {
        self.llm.as_ref()
    }

    /// A knowledge-base query with lexicon slang expanded to its canonical terms.
    pub fn expand_query(&self, q: &str) -> String {
        self.lexicon
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .expand(q)
    }

    /// Re-read the label set and the knowledge-base version (after an
    /// ingest or a sync). Blocking.
    pub fn reload_kb(&self) -> Result<(), AssessError> {
        let schemes = SchemeSet::load(self.store.as_ref())?;
        let mut h = Sha256::new();
        for d in self.store.list_docs()? {
            h.update(d.doc_id.as_bytes());
            h.update([0]);
            h.update(d.content_hash.as_bytes());
            h.update([1]);
        }
        let version = hex::encode(h.finalize())[..16].to_string();
        let previous = self.kb.read().unwrap_or_else(|e| e.into_inner()).clone();
        let model = if previous.version == version
            && previous.model.as_ref().is_some_and(|m| m.fits(&schemes))
        {
            previous.model.clone()
        } else {
            match self.train(&schemes) {
                Ok(m) => m.map(Arc::new),
                Err(e) => {
                    // Keep answering with the model we had.
                    tracing::warn!(error = %e, "classifier not retrained; keeping the previous one");
                    previous.model.clone().filter(|m| m.fits(&schemes))
                }
            }
        };
        let state = KbState {
            schemes: Arc::new(schemes),
            version,
            model,
        };
        *self.kb.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(state);
        self.llm_baseline
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    /// The trained classifier, if the knowledge base has examples.
    pub fn model(&self) -> Option<Arc<Model>> {
        self.kb
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .model
            .clone()
    }

    /// Train the classifier from the examples in the store (blocking):
    /// embed the ones not cached yet, then fit. `None` without examples.
    fn train(&self, set: &SchemeSet) -> Result<Option<Model>, AssessError> {
        let examples = load_examples(self.store.as_ref())?;
        if examples.is_empty() {
            return Ok(None);
        }
        let detector = self
            .detector
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let forms: Vec<String> = examples
            .iter()
            .map(|e| embedding_form(&detector, &e.text))
            .collect();
        let mut cache = self.example_cache.lock().unwrap_or_else(|e| e.into_inner());
        let mut missing: Vec<String> = forms
            .iter()
            .filter(|f| cache.get(f).is_none())
            .cloned()
            .collect();
        missing.sort();
        missing.dedup();
        if !missing.is_empty() {
            let vectors = self
                .embed
                .embed_queries_blocking(&missing)
                .map_err(|e| AssessError::Service(ServiceError::from(e)))?;
            for (t, v) in missing.into_iter().zip(vectors) {
                cache.insert(t, v);
            }
            cache.retain(&forms.iter().map(String::as_str).collect());
            if let Some(p) = &self.cache_path
                && let Err(e) = cache.save(p)
            {
                tracing::warn!(error = %e, path = %p.display(), "example embeddings not cached");
            }
        }
        let vectors: Vec<Vec<f32>> = forms
            .iter()
            .map(|f| cache.get(f).cloned().unwrap_or_default())
            .collect();
        drop(cache);
        let role_cues = self
            .role_cues
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let model = Model::train(
            set,
            ExampleIndex { examples, vectors },
            &detector,
            &role_cues,
            self.config.model.clone(),
        )
        .map_err(|e| AssessError::Internal(e.to_string()))?;
        tracing::info!(
            examples = model.report.examples,
            cv_macro_f1 = model.report.cv_macro_f1,
            ms = model.report.train_ms,
            "classifier trained"
        );
        Ok(Some(model))
    }

    /// Swap in new role cues (the curated file changed); the caller
    /// retrains with [`Assessor::reload_kb`] after it.
    pub fn set_role_cues(&self, cues: RoleCues) {
        *self.role_cues.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(cues);
        // The features changed: the next reload retrains even if the
        // documents did not.
        let mut kb = self.kb.write().unwrap_or_else(|e| e.into_inner());
        *kb = Arc::new(KbState {
            schemes: kb.schemes.clone(),
            version: String::new(),
            model: kb.model.clone(),
        });
    }

    /// Swap in a new lexicon (the curated file changed).
    pub fn set_lexicon(&self, lexicon: Lexicon) {
        let detector = Detector::new(&lexicon);
        *self.detector.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(detector);
        *self.lexicon.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(lexicon);
    }

    /// Check an input before any work: a clear message for each problem.
    pub fn validate(&self, input: &AssessInput) -> Result<(), AssessError> {
        // Whitespace, zero-width or format characters, emoji and symbols
        // alone are no text to assess.
        if !input.text.chars().any(char::is_alphanumeric) {
            return Err(AssessError::Empty(
                "`text` is empty (no letters, digits or Chinese characters): paste the complaint or the application notes".into(),
            ));
        }
        let n = input.text.chars().count();
        if n > self.config.max_text_chars {
            return Err(AssessError::TooLong(format!(
                "`text` has {n} characters; the limit is {} — split the material or keep the complaint itself",
                self.config.max_text_chars
            )));
        }
        if let Some(a) = &input.applicant {
            a.validate()
                .map_err(|e| AssessError::Invalid(format!("`applicant`: {e}")))?;
        }
        if let Some(m) = &input.metadata
            && !m.is_object()
        {
            return Err(AssessError::Invalid(
                "`metadata` must be a JSON object".into(),
            ));
        }
        Ok(())
    }

    /// Assess one complaint or application.
    pub async fn assess(&self, input: AssessInput) -> Result<Assessment, AssessError> {
        self.assess_with(input, RunOptions::default()).await
    }

    pub async fn assess_with(
        &self,
        input: AssessInput,
        opts: RunOptions<'_>,
    ) -> Result<Assessment, AssessError> {
        self.validate(&input)?;
        let started = Instant::now();
        let mut timings = Timings::default();
        let kb = self.kb.read().unwrap_or_else(|e| e.into_inner()).clone();
        let set = kb.schemes.clone();

        let t = Instant::now();
        let detector = self
            .detector
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let lexicon = self
            .lexicon
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut signals = detector.detect(input.kind, &input.text, input.applicant.as_ref());
        signals.extend(opts.extra_signals.iter().cloned());
        let query_text = lexicon.expand(&input.text);
        let embed_text = embedding_form(&detector, &input.text);
        timings.signals_ms = ms(t);

        let t = Instant::now();
        let vector = self
            .embed
            .embed(vec![embed_text], Role::Query)
            .await?
            .pop()
            .ok_or_else(|| AssessError::Internal("no query vector".into()))?;
        timings.embed_ms = ms(t);

        let t = Instant::now();
        let (neighbours, fact_hits) = {
            let store = self.store.clone();
            let channel = match input.kind {
                Channel::Complaint => "complaint",
                Channel::Application => "application",
            };
            let exclude = opts.exclude_doc.map(str::to_string);
            // The learned model finds its neighbours in its own index; the
            // store's are for the baseline fusion only.
            let learned_answers = kb.model.as_ref().is_some_and(|m| m.fits(&set))
                && matches!(
                    opts.components,
                    Components::Learned | Components::LearnedWithLlm
                );
            let n_neighbours = if learned_answers {
                0
            } else {
                self.config.neighbours
            };
            let n_facts = self.config.facts;
            let vector = vector.clone();
            let text = query_text.clone();
            tokio::task::spawn_blocking(move || {
                retrieve(
                    store.as_ref(),
                    vector,
                    text,
                    channel,
                    exclude,
                    n_neighbours,
                    n_facts,
                )
            })
            .await
            .map_err(|e| AssessError::Internal(e.to_string()))??
        };
        timings.retrieve_ms = ms(t);

        // The learned model decides; the hand-weighted fusion (and the
        // single components) answer only for `eval --ablate`, or when the
        // knowledge base has no examples to learn from.
        let model = kb.model.clone().filter(|m| m.fits(&set));
        let learned = matches!(
            opts.components,
            Components::Learned | Components::LearnedWithLlm
        );
        let want_llm = match (opts.components, self.config.llm) {
            (Components::LlmOnly | Components::LearnedWithLlm, _) => true,
            (Components::NeighboursOnly | Components::SignalsOnly, _) => false,
            (Components::Fused | Components::Learned, LlmMode::Always) => true,
            (Components::Fused | Components::Learned, LlmMode::Uncertain) => true,
            (Components::Fused | Components::Learned, LlmMode::Off) => false,
        };
        let mut llm_consulted = false;
        let (probabilities, verdict, role, role_confidence, neighbours) = match model {
            Some(m) if learned => {
                let neighbours = m.index.neighbours(&vector, m.params.neighbours, |e| {
                    Some(e.doc_id.as_str()) == opts.exclude_doc
                });
                // The cues the model was trained with (the curated file may
                // have changed since; the next sync retrains).
                let cues = cue_features(&m.role_cues, &m.params, &detector.normalize(&input.text));
                let x = features(
                    &set,
                    input.kind,
                    &vector,
                    &neighbours,
                    &signals,
                    input.applicant.is_some(),
                    &cues,
                );
                let mut out = m.predict(&x);
                let top = out.schemes.iter().copied().fold(0.0, f32::max);
                let uncertain =
                    self.config.llm != LlmMode::Uncertain || top < self.config.llm_below;
                if want_llm
                    && uncertain
                    && let Some(llm) = &self.llm
                {
                    let t = Instant::now();
                    let scores = self
                        .llm_label_scores(llm, &set, input.kind, &input.text, &fact_hits)
                        .await?;
                    timings.llm_ms = ms(t);
                    let llm_dist = softmax(&scores, 1.0);
                    let w = self.config.classifier.w_llm;
                    let logits: Vec<f32> = out
                        .schemes
                        .iter()
                        .zip(&llm_dist)
                        .map(|(p, q)| p.max(1e-9).ln() + w * q.max(1e-6).ln())
                        .collect();
                    out.schemes = softmax(&logits, 1.0);
                    llm_consulted = true;
                }
                let vote = neighbour_distribution(&set, &neighbours, &ClassifierParams::default());
                let d = decide(
                    &set,
                    &out,
                    &signals,
                    &neighbours,
                    &vote,
                    &self.config.decision,
                );
                let rc = out.roles[d.role.index()];
                (out.schemes, d.verdict, d.role, rc, neighbours)
            }
            _ => {
                let (result, consulted) = self
                    .fused(
                        &set,
                        &input,
                        &signals,
                        &neighbours,
                        &fact_hits,
                        opts,
                        want_llm,
                    )
                    .await?;
                llm_consulted = consulted;
                let verdict = grade(
                    &set,
                    &result.probabilities,
                    &signals,
                    &neighbours,
                    &self.config.grade,
                );
                let role = if verdict.top_scheme == NONE {
                    SubmitterRole::Legitimate
                } else {
                    SubmitterRole::Participant
                };
                (result.probabilities, verdict, role, 0.0, neighbours)
            }
        };
        let mut schemes: Vec<SchemeScore> = set
            .schemes
            .iter()
            .zip(&probabilities)
            .map(|(s, &c)| SchemeScore {
                id: s.id.clone(),
                name: s.name.clone(),
                confidence: c,
            })
            .collect();
        schemes.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));

        // Citations: the retrieved facts, plus the top scheme's own card.
        let mut hits = fact_hits;
        if set.get(&verdict.top_scheme).is_some()
            && !hits.iter().any(|h| h.chunk.doc_id == verdict.top_scheme)
        {
            let store = self.store.clone();
            let id = verdict.top_scheme.clone();
            let (v, q) = (vector.clone(), query_text.clone());
            let card = tokio::task::spawn_blocking(move || {
                store.search(&SearchRequest {
                    dense: Some(v),
                    text: q,
                    filter: Filter {
                        kinds: vec!["pattern".into()],
                        doc_ids: vec![id],
                        ..Filter::default()
                    },
                    limit: 1,
                    mode: Mode::Hybrid,
                })
            })
            .await
            .map_err(|e| AssessError::Internal(e.to_string()))??;
            hits.splice(0..0, card);
        }
        let citations: Vec<Citation> = hits
            .into_iter()
            .enumerate()
            .map(|(i, h)| Citation {
                id: format!("K{}", i + 1),
                doc_id: h.chunk.doc_id,
                chunk_id: h.chunk.chunk_id,
                kind: h.chunk.kind,
                title: h.chunk.title,
                schemes: h.chunk.schemes,
                excerpt: excerpt(&h.chunk.text, 240),
                score: h.score,
            })
            .collect();
        let evidence = evidence::build(&input.text, &signals, &citations, &verdict.top_scheme);
        timings.total_ms = ms(started);
        Ok(Assessment {
            id: new_id(),
            kind: input.kind,
            created_at: crate::kb::ingest::now_rfc3339(),
            grade: verdict.grade,
            top_scheme: verdict.top_scheme,
            role,
            role_confidence,
            schemes,
            signals,
            citations,
            similar: neighbours.into_iter().take(5).collect(),
            evidence,
            reasons: verdict.reasons,
            llm_consulted,
            versions: Versions {
                caseguard: env!("CARGO_PKG_VERSION").into(),
                embedding_model: self.embedding_model.clone(),
                llm: self
                    .llm
                    .as_ref()
                    .map(|l| {
                        l.info()
                            .name
                            .clone()
                            .unwrap_or_else(|| l.info().architecture.clone())
                    })
                    .unwrap_or_default(),
                knowledge_base: kb.version.clone(),
            },
            timings,
            text: input.text,
            applicant: input.applicant,
            metadata: input.metadata,
            embedding: vector,
        })
    }

    /// The hand-weighted fusion (the former default, now the baseline), with
    /// the LLM's label scores when asked for.
    #[allow(clippy::too_many_arguments)]
    async fn fused(
        &self,
        set: &SchemeSet,
        input: &AssessInput,
        signals: &[Signal],
        neighbours: &[Neighbour],
        fact_hits: &[Hit],
        opts: RunOptions<'_>,
        want_llm: bool,
    ) -> Result<(Classification, bool), AssessError> {
        let p = &self.config.classifier;
        let components = match opts.components {
            Components::Learned | Components::LearnedWithLlm => Components::Fused,
            c => c,
        };
        let fast = classify(set, input.kind, neighbours, signals, None, components, p);
        let top_fast = fast.probabilities.iter().copied().fold(0.0, f32::max);
        let ask = want_llm
            && (components == Components::LlmOnly
                || self.config.llm != LlmMode::Uncertain
                || top_fast < self.config.llm_below);
        if ask && let Some(llm) = &self.llm {
            let scores = self
                .llm_label_scores(llm, set, input.kind, &input.text, fact_hits)
                .await?;
            let r = classify(
                set,
                input.kind,
                neighbours,
                signals,
                Some(scores),
                components,
                p,
            );
            return Ok((r, true));
        }
        Ok((fast, false))
    }

    /// Per-scheme log-likelihood of the scheme's name after a prompt with the
    /// text and the top retrieved facts, minus the same for a content-free
    /// prompt (contextual calibration: removes the model's bias towards some
    /// names), normalised by the name's token count.
    async fn llm_label_scores(
        &self,
        llm: &LlmService,
        set: &SchemeSet,
        channel: Channel,
        text: &str,
        facts: &[Hit],
    ) -> Result<Vec<f32>, AssessError> {
        let names: Vec<String> = set
            .schemes
            .iter()
            .map(|s| format!(" {}", short_name(&s.name)))
            .collect();
        let what = match channel {
            Channel::Complaint => "客户投诉",
            Channel::Application => "贷款申请",
        };
        let reference: String = facts
            .iter()
            .filter(|h| h.chunk.kind == "pattern" || h.chunk.kind == "case")
            .take(2)
            .map(|h| format!("- {}：{}\n", h.chunk.title, excerpt(&h.chunk.text, 80)))
            .collect();
        let prompt = |body: &str, reference: &str| {
            format!(
                "请判断下面这份{what}属于哪种类型。\n参考资料：\n{reference}材料：{body}\n类型："
            )
        };
        let key = format!("{what}|{}", names.join("|"));
        let cached = self
            .llm_baseline
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let baseline = match cached {
            Some(b) => b,
            None => {
                let b = per_token(llm.score(prompt("（无）", ""), names.clone()).await?);
                self.llm_baseline
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, b.clone());
                b
            }
        };
        let scored = per_token(
            llm.score(prompt(&excerpt(text, 300), &reference), names)
                .await?,
        );
        Ok(scored.iter().zip(&baseline).map(|(s, b)| s - b).collect())
    }
}

fn per_token(scores: Vec<crate::llm::CandidateScore>) -> Vec<f32> {
    scores
        .into_iter()
        .map(|c| c.logprob / c.tokens.max(1) as f32)
        .collect()
}

/// Neighbours (labelled examples of the same channel, dense similarity; none
/// asked for when `n_neighbours` is 0) and
/// facts (patterns, cases, regulations; hybrid).
fn retrieve(
    store: &dyn VectorStore,
    vector: Vec<f32>,
    text: String,
    channel: &str,
    exclude: Option<String>,
    n_neighbours: usize,
    n_facts: usize,
) -> Result<(Vec<Neighbour>, Vec<Hit>), StoreError> {
    let extra = usize::from(exclude.is_some());
    let examples = if n_neighbours == 0 {
        Vec::new()
    } else {
        store.search(&SearchRequest {
            dense: Some(vector.clone()),
            text: String::new(),
            filter: Filter {
                kinds: vec!["example".into()],
                fields: vec![FieldCondition::AnyOf {
                    key: "extra.channel".into(),
                    values: vec![channel.into()],
                }],
                ..Filter::default()
            },
            limit: n_neighbours + extra,
            mode: Mode::Dense,
        })?
    };
    let neighbours = examples
        .into_iter()
        .filter(|h| Some(&h.chunk.doc_id) != exclude.as_ref())
        .take(n_neighbours)
        .map(|h| Neighbour {
            role: h
                .chunk
                .extra
                .get("role")
                .and_then(serde_json::Value::as_str)
                .and_then(SubmitterRole::parse),
            grade: h
                .chunk
                .extra
                .get("grade")
                .and_then(serde_json::Value::as_str)
                .and_then(Grade::parse),
            doc_id: h.chunk.doc_id,
            title: h.chunk.title,
            schemes: h.chunk.schemes,
            similarity: h.score,
        })
        .collect();
    // Several chunks of one document often match; cite each document once,
    // by its best chunk.
    let mut seen = std::collections::HashSet::new();
    let facts = store
        .search(&SearchRequest {
            dense: Some(vector),
            text,
            filter: Filter {
                kinds: vec!["pattern".into(), "case".into(), "regulation".into()],
                ..Filter::default()
            },
            limit: 3 * n_facts + extra,
            mode: Mode::Hybrid,
        })?
        .into_iter()
        .filter(|h| Some(&h.chunk.doc_id) != exclude.as_ref())
        .filter(|h| seen.insert(h.chunk.doc_id.clone()))
        .take(n_facts)
        .collect();
    Ok((neighbours, facts))
}

/// A time-ordered id: `a` + UTC timestamp + random suffix.
pub fn new_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("a{:x}{:08x}", now.as_millis(), rand::random::<u32>())
}
