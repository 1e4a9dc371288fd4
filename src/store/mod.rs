//! The vector store: where knowledge-base chunks live and how they are found again.
//!
//! Retrieval needs both meaning (dense e5 vectors) and exact words (BM25 over
//! Chinese-segmented text, so slang and legal terms match literally), fused with
//! RRF, plus payload filters by `kind`, `schemes` and `doc_id`. Ingestion needs
//! stable ids and per-document replacement so that re-ingesting never leaves
//! orphans or duplicates.
//!
//! This module holds only the backend-neutral contract: the [`VectorStore`]
//! trait and its plain data types (no engine types leak through it), so the
//! embedded backend ([`edge::EdgeStore`], Qdrant Edge in-process) and a later
//! remote backend (a Qdrant server through `qdrant-client`) are interchangeable
//! and run the same test suite. `payload` maps a [`ChunkRecord`] to and from
//! the stored payload.

pub mod edge;
mod payload;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use edge::EdgeStore;

/// Name of the dense (e5) vector in every backend.
pub const DENSE_VECTOR: &str = "dense";
/// Name of the sparse BM25 vector in every backend.
pub const SPARSE_VECTOR: &str = "bm25";
/// The `k` of reciprocal rank fusion, score = Σ 1 / (k + rank). 60 is the
/// usual choice (Qdrant's own default, 2, lets one list's top hit dominate).
pub const RRF_K: usize = 60;

/// One indexed chunk of a knowledge-base document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkRecord {
    /// `"{doc_id}#{index}"`; the backend point id is derived from it ([`point_id`]).
    pub chunk_id: String,
    pub doc_id: String,
    pub chunk_index: u32,
    pub title: String,
    /// pattern | case | regulation | example | other | assessment
    pub kind: String,
    pub schemes: Vec<String>,
    pub source: String,
    pub version: String,
    /// RFC 3339.
    pub ingested_at: String,
    /// Hash of the whole document (the same on every chunk of a document).
    pub content_hash: String,
    pub heading: Option<String>,
    pub text: String,
    /// Any other payload: a JSON object or null.
    pub extra: serde_json::Value,
    /// e5 vector, L2-normalised (cosine). Empty in search hits.
    pub dense: Vec<f32>,
}

impl ChunkRecord {
    /// The canonical chunk id for a document and chunk index.
    pub fn make_id(doc_id: &str, index: u32) -> String {
        format!("{doc_id}#{index}")
    }
}

/// Payload filter. An empty list means no constraint; values within one field
/// are OR-ed, fields are AND-ed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub kinds: Vec<String>,
    pub schemes: Vec<String>,
    pub doc_ids: Vec<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty() && self.schemes.is_empty() && self.doc_ids.is_empty()
    }
}

/// Which retrieval to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Dense vectors only (needs `SearchRequest::dense`).
    Dense,
    /// BM25 over `SearchRequest::text` only.
    Sparse,
    /// Both, fused with reciprocal rank fusion. Falls back to the one that is
    /// available when the query has no dense vector or no BM25 tokens.
    #[default]
    Hybrid,
}

/// A search query.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The query's e5 vector (already prefixed with "query: " and normalised).
    pub dense: Option<Vec<f32>>,
    /// The query text for BM25.
    pub text: String,
    pub filter: Filter,
    pub limit: usize,
    pub mode: Mode,
}

/// One search result. `chunk.dense` is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub chunk: ChunkRecord,
    /// Cosine similarity (dense), BM25 score (sparse) or RRF score (hybrid).
    pub score: f32,
}

/// One stored document, summarised from its chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocSummary {
    pub doc_id: String,
    pub title: String,
    pub kind: String,
    pub schemes: Vec<String>,
    pub source: String,
    pub version: String,
    pub content_hash: String,
    pub chunks: usize,
    pub ingested_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("store backend error: {0}")]
    Backend(String),
    #[error("invalid store request: {0}")]
    Invalid(String),
}

/// A store of knowledge-base chunks. All methods are blocking; call them from
/// a blocking task (`tokio::task::spawn_blocking`) in async code.
pub trait VectorStore: Send + Sync {
    /// Insert or overwrite chunks (by `chunk_id`).
    fn upsert(&self, chunks: &[ChunkRecord]) -> Result<(), StoreError>;
    /// Remove every chunk of a document; returns how many were removed.
    fn delete_doc(&self, doc_id: &str) -> Result<usize, StoreError>;
    /// Make `chunks` the whole content of `doc_id`: old chunks not in the new
    /// set are removed, the new ones upserted. No orphans, no duplicates.
    fn replace_doc(&self, doc_id: &str, chunks: &[ChunkRecord]) -> Result<(), StoreError>;
    /// The stored document's `content_hash`, for "unchanged → skip". `None`
    /// when the document is absent or its chunks are inconsistent (an
    /// interrupted write), so that the caller ingests it again.
    fn doc_hash(&self, doc_id: &str) -> Result<Option<String>, StoreError>;
    fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>, StoreError>;
    /// Every document, sorted by `doc_id`.
    fn list_docs(&self) -> Result<Vec<DocSummary>, StoreError>;
    /// A document's chunks (with their dense vectors), ordered by `chunk_index`.
    fn doc_chunks(&self, doc_id: &str) -> Result<Vec<ChunkRecord>, StoreError>;
    /// Number of chunks stored.
    fn count(&self) -> Result<usize, StoreError>;
    /// Persist everything written so far.
    fn flush(&self) -> Result<(), StoreError>;
}

/// The point id of a chunk: the first 8 bytes of SHA-256(`chunk_id`), stable
/// across runs, processes and backends.
pub fn point_id(chunk_id: &str) -> u64 {
    let digest = Sha256::digest(chunk_id.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_id_is_stable_and_distinct() {
        assert_eq!(point_id("a#0"), point_id("a#0"));
        assert_ne!(point_id("a#0"), point_id("a#1"));
        // Pinned so that a change of derivation (which would orphan every stored point) is caught.
        assert_eq!(point_id(""), 0xe3b0_c442_98fc_1c14);
    }
}
