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

/// One caller's texts waiting for the embedding worker.
struct Pending {
    texts: Vec<String>,
    role: Role,
    reply: tokio::sync::oneshot::Sender<Result<Vec<Vec<f32>>, ServiceError>>,
}

#[derive(Clone)]
pub struct EmbedService {
    worker: Arc<Worker<Embedder>>,
    dim: usize,
    /// Requests not yet taken by the worker. Concurrent requests that arrive
    /// while the worker is busy are embedded together in its next pass
    /// (one padded batch runs far better than many single texts).
    pending: Arc<std::sync::Mutex<Vec<Pending>>>,
    max_pending: usize,
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
            pending: Arc::new(std::sync::Mutex::new(Vec::new())),
            max_pending: config.runtime.embed_queue.max(1),
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Embed texts; requests made at the same time share one forward pass.
    pub async fn embed(
        &self,
        texts: Vec<String>,
        role: Role,
    ) -> Result<Vec<Vec<f32>>, ServiceError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let first = {
            let mut q = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            if q.len() >= self.max_pending {
                return Err(WorkerError::Overloaded("embedding").into());
            }
            q.push(Pending { texts, role, reply });
            q.len() == 1
        };
        // The first request of a group queues the job that will take the
        // whole group; later ones ride along.
        if first {
            let pending = self.pending.clone();
            if let Err(err) = self.worker.submit(move |e| embed_pending(e, &pending)) {
                // Everyone who joined this group gets the same answer.
                let group =
                    std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
                for p in group {
                    let _ = p.reply.send(Err(err.clone().into()));
                }
            }
        }
        rx.await.map_err(|_| WorkerError::Stopped("embedding"))?
    }
}

/// On the worker thread: take every waiting request, embed each role's texts
/// in one call, hand each caller its vectors.
fn embed_pending(e: &mut Embedder, pending: &std::sync::Mutex<Vec<Pending>>) {
    let group = std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));
    let (queries, passages): (Vec<Pending>, Vec<Pending>) =
        group.into_iter().partition(|p| p.role == Role::Query);
    for (role, batch) in [(Role::Query, queries), (Role::Passage, passages)] {
        if batch.is_empty() {
            continue;
        }
        let result = {
            let refs: Vec<&str> = batch
                .iter()
                .flat_map(|p| p.texts.iter().map(String::as_str))
                .collect();
            e.embed(&refs, role)
        };
        match result {
            Ok(vectors) => {
                let mut vectors = vectors.into_iter();
                for p in batch {
                    let mine: Vec<Vec<f32>> = vectors.by_ref().take(p.texts.len()).collect();
                    let _ = p.reply.send(Ok(mine));
                }
            }
            Err(err) => {
                let msg = err.to_string();
                for p in batch {
                    let _ = p.reply.send(Err(EmbedError::Compute(msg.clone()).into()));
                }
            }
        }
    }
}

/// Passages per embedding job when ingesting through the service, so that
/// queries queued meanwhile wait for one batch, not for a whole ingest.
const INGEST_BATCH: usize = 64;

impl EmbedService {
    /// Query embeddings from a blocking task (never from an async one), in
    /// batches like ingestion: the classifier's training embeds its examples
    /// in the form an assessment's text takes.
    pub fn embed_queries_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        self.embed_blocking(&refs, Role::Query)
    }

    /// Queue `texts` to the worker in batches of [`INGEST_BATCH`] and wait,
    /// so queries queued meanwhile wait for one batch, not for all of them.
    fn embed_blocking(&self, texts: &[&str], role: Role) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(INGEST_BATCH) {
            let owned: Vec<String> = batch.iter().map(|t| t.to_string()).collect();
            let vectors = self
                .worker
                .run_blocking(move |e| {
                    let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
                    e.embed(&refs, role)
                })
                .map_err(|e| EmbedError::Compute(e.to_string()))??;
            out.extend(vectors);
        }
        Ok(out)
    }
}

/// For ingestion from a blocking task (never from an async one): queues the
/// texts to the embedding worker in batches and waits.
impl crate::kb::ingest::PassageEmbedder for EmbedService {
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_blocking(texts, Role::Passage)
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
