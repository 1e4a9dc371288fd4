//! The models as services: each behind its own worker thread and bounded
//! queue (see `worker`), with typed async methods for the API and the
//! assessment pipeline. Cloning a service handle is cheap.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::config::Config;
use crate::embed::{EmbedError, Embedder, Role};
use crate::llm::{CandidateScore, GenerateParams, Generation, Llm, LlmError, LlmInfo};
use crate::worker::{Worker, WorkerError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Llm(#[from] LlmError),
}

#[derive(Clone)]
pub struct EmbedService {
    worker: Arc<Worker<Embedder>>,
    dim: usize,
}

impl EmbedService {
    pub fn start(config: &Config) -> Result<Self, EmbedError> {
        let path = config.models.embedding.clone();
        let format = config.models.embed_weights;
        let worker = Worker::spawn("embedding", config.runtime.embed_queue, move || {
            Embedder::load(&path, format)
        })?;
        let dim = worker
            .run_blocking(|e| e.dim())
            .map_err(|e| EmbedError::Compute(e.to_string()))?;
        Ok(Self {
            worker: Arc::new(worker),
            dim,
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub async fn embed(
        &self,
        texts: Vec<String>,
        role: Role,
    ) -> Result<Vec<Vec<f32>>, ServiceError> {
        let r = self
            .worker
            .run(move |e| {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                e.embed(&refs, role)
            })
            .await?;
        Ok(r?)
    }
}

/// Passages per embedding job when ingesting through the service, so that
/// queries queued meanwhile wait for one batch, not for a whole ingest.
const INGEST_BATCH: usize = 64;

/// For ingestion from a blocking task (never from an async one): queues the
/// texts to the embedding worker in batches and waits.
impl crate::kb::ingest::PassageEmbedder for EmbedService {
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(INGEST_BATCH) {
            let owned: Vec<String> = batch.iter().map(|t| t.to_string()).collect();
            let vectors = self
                .worker
                .run_blocking(move |e| {
                    let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
                    e.embed(&refs, Role::Passage)
                })
                .map_err(|e| EmbedError::Compute(e.to_string()))??;
            out.extend(vectors);
        }
        Ok(out)
    }
}

/// Text pieces as they are produced, and the summary when generation ends.
pub type GenerationStream = (
    mpsc::Receiver<String>,
    tokio::sync::oneshot::Receiver<Result<Generation, LlmError>>,
);

#[derive(Clone)]
pub struct LlmService {
    worker: Arc<Worker<Llm>>,
    info: LlmInfo,
}

impl LlmService {
    pub fn start(config: &Config) -> Result<Self, LlmError> {
        let path = config.models.llm.clone();
        let worker = Worker::spawn("llm", config.runtime.llm_queue, move || Llm::load(&path))?;
        let info = worker
            .run_blocking(|m| m.info().clone())
            .map_err(|e| LlmError::Compute(e.to_string()))?;
        Ok(Self {
            worker: Arc::new(worker),
            info,
        })
    }

    pub fn info(&self) -> &LlmInfo {
        &self.info
    }

    pub async fn score(
        &self,
        prompt: String,
        candidates: Vec<String>,
    ) -> Result<Vec<CandidateScore>, ServiceError> {
        let r = self
            .worker
            .run(move |m| {
                let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
                m.score(&prompt, &refs)
            })
            .await?;
        Ok(r?)
    }

    /// Start a generation; text pieces arrive on the returned channel as they
    /// are produced and the final summary on the oneshot. Dropping the
    /// receiver cancels the generation at the next token.
    pub fn generate_stream(
        &self,
        prompt: String,
        params: GenerateParams,
    ) -> Result<GenerationStream, ServiceError> {
        let (tx, rx) = mpsc::channel::<String>(256);
        let done = self.worker.submit(move |m| {
            m.generate(&prompt, &params, |piece| {
                tx.blocking_send(piece.to_string()).is_ok()
            })
        })?;
        Ok((rx, done))
    }
}
