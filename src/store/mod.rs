//! The vector store: where knowledge-base chunks live and how they are found again.
//!
//! Retrieval needs both meaning (dense e5 vectors) and exact words (BM25 over
//! Chinese-segmented text, so slang and legal terms match literally), fused with
//! RRF, plus payload filters by `kind`, `schemes` and `doc_id`. Ingestion needs
//! stable ids and per-document replacement so that re-ingesting never leaves
//! orphans or duplicates.
//!
//! This module holds the backend-neutral contract: the [`VectorStore`] trait
//! and its plain data types (no engine types leak through it), so the embedded
//! backend ([`edge::EdgeStore`], Qdrant Edge in-process) and the remote one
//! ([`remote::RemoteStore`], a Qdrant server or cluster through
//! `qdrant-client`) are interchangeable and run the same test suite. Backends
//! implement a few primitives (write, delete by filter, scroll, search); the
//! document-level operations (replace without orphans, hash checks, listings)
//! are written once here on top of them. `payload` maps a [`ChunkRecord`] to
//! and from the stored payload; [`open`] picks the backend from the config.

mod bm25;
pub mod edge;
pub mod payload;
pub mod remote;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::config::{Config, StoreBackend};

pub use edge::EdgeStore;
pub use remote::RemoteStore;

/// The collection of knowledge-base chunks.
pub const KB_COLLECTION: &str = "kb";

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
/// are OR-ed, fields and `fields` conditions are AND-ed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub kinds: Vec<String>,
    pub schemes: Vec<String>,
    pub doc_ids: Vec<String>,
    /// Conditions on other payload paths (e.g. `extra.grade`).
    #[serde(default)]
    pub fields: Vec<FieldCondition>,
}

/// A condition on one payload path (dotted for nested keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldCondition {
    /// The keyword value (or one of the array's values) is one of `values`.
    AnyOf { key: String, values: Vec<String> },
    /// The number is within `[gte, lt)`; a missing bound is open.
    Range {
        key: String,
        gte: Option<f64>,
        lt: Option<f64>,
    },
}

impl Filter {
    /// Every chunk of one document.
    pub fn doc(doc_id: &str) -> Self {
        Self {
            doc_ids: vec![doc_id.to_string()],
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
            && self.schemes.is_empty()
            && self.doc_ids.is_empty()
            && self.fields.is_empty()
    }

    /// The conditions as (payload key, condition) pairs, the built-in fields first.
    pub fn conditions(&self) -> Vec<FieldCondition> {
        let mut out = Vec::new();
        for (key, values) in [
            ("kind", &self.kinds),
            ("schemes", &self.schemes),
            ("doc_id", &self.doc_ids),
        ] {
            if !values.is_empty() {
                out.push(FieldCondition::AnyOf {
                    key: key.to_string(),
                    values: values.clone(),
                });
            }
        }
        out.extend(self.fields.iter().cloned());
        out
    }
}

/// Which retrieval to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// Which payload fields a scroll returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields<'a> {
    All,
    Only(&'a [&'a str]),
}

/// One stored point as a scroll returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPoint {
    pub payload: Map<String, Value>,
    /// The dense vector when asked for, else empty.
    pub dense: Vec<f32>,
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

/// A collection of chunks (knowledge-base chunks, or records such as
/// assessments stored the same way). All methods are blocking; call them from
/// a blocking task (`tokio::task::spawn_blocking`) in async code.
///
/// Backends implement the primitives; the provided methods build the
/// document-level operations on them, so both backends behave alike.
pub trait VectorStore: Send + Sync {
    // ----- primitives -----

    /// Insert or overwrite chunks (by `chunk_id`), tagging each with
    /// `doc_chunks` (the document's chunk count) when given. Validates first.
    fn write(&self, chunks: &[ChunkRecord], doc_chunks: Option<usize>) -> Result<(), StoreError>;
    /// Remove the points matching `filter`, except those whose point id is in
    /// `keep`; returns how many were removed.
    fn delete_where(&self, filter: &Filter, keep: &[u64]) -> Result<usize, StoreError>;
    /// Every point matching `filter`, in no particular order.
    fn scroll(
        &self,
        filter: &Filter,
        fields: Fields<'_>,
        with_dense: bool,
    ) -> Result<Vec<StoredPoint>, StoreError>;
    fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>, StoreError>;
    /// Number of points matching `filter`.
    fn count_where(&self, filter: &Filter) -> Result<usize, StoreError>;
    /// Persist everything written so far.
    fn flush(&self) -> Result<(), StoreError>;
    /// Dimension of the dense vectors.
    fn dim(&self) -> usize;
    /// Compact and index after a large write (a no-op where the backend does it
    /// in the background). Returns whether anything changed.
    fn optimize(&self) -> Result<bool, StoreError> {
        Ok(false)
    }
    /// Index these payload paths as keywords (beyond `kind`, `schemes` and
    /// `doc_id`) where they are not indexed yet, so filters on them stay fast.
    fn ensure_keyword_indexes(&self, fields: &[&str]) -> Result<(), StoreError>;

    // ----- provided -----

    /// Insert or overwrite chunks (by `chunk_id`).
    fn upsert(&self, chunks: &[ChunkRecord]) -> Result<(), StoreError> {
        self.write(chunks, None)
    }

    /// Remove every chunk of a document; returns how many were removed.
    fn delete_doc(&self, doc_id: &str) -> Result<usize, StoreError> {
        self.delete_where(&Filter::doc(doc_id), &[])
    }

    /// Make `chunks` the whole content of `doc_id`: old chunks not in the new
    /// set are removed, the new ones upserted. No orphans, no duplicates.
    fn replace_doc(&self, doc_id: &str, chunks: &[ChunkRecord]) -> Result<(), StoreError> {
        if let Some(c) = chunks.iter().find(|c| c.doc_id != doc_id) {
            return Err(StoreError::Invalid(format!(
                "replace_doc(`{doc_id}`) got chunk `{}` of `{}`",
                c.chunk_id, c.doc_id
            )));
        }
        let mut ids: Vec<u64> = chunks.iter().map(|c| point_id(&c.chunk_id)).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != chunks.len() {
            return Err(StoreError::Invalid(format!(
                "replace_doc(`{doc_id}`): duplicate chunk ids"
            )));
        }
        for c in chunks {
            payload::validate(c, self.dim())?;
        }
        // Stale chunks go first: if the process dies before the write ends, the
        // chunks left disagree on hash or count, and `doc_hash` reports it.
        self.delete_where(&Filter::doc(doc_id), &ids)?;
        self.write(chunks, Some(chunks.len()))
    }

    /// The stored document's `content_hash`, for "unchanged → skip". `None`
    /// when the document is absent or its chunks are inconsistent (an
    /// interrupted write), so that the caller ingests it again.
    fn doc_hash(&self, doc_id: &str) -> Result<Option<String>, StoreError> {
        let points = self.scroll(
            &Filter::doc(doc_id),
            Fields::Only(&["content_hash", payload::DOC_CHUNKS_KEY]),
            false,
        )?;
        let mut hash: Option<String> = None;
        for p in &points {
            let h = payload::str_field(&p.payload, "content_hash")?;
            if hash.as_ref().is_some_and(|prev| *prev != h) {
                return Ok(None);
            }
            if let Some(expected) = p
                .payload
                .get(payload::DOC_CHUNKS_KEY)
                .and_then(Value::as_u64)
                && expected as usize != points.len()
            {
                return Ok(None);
            }
            hash = Some(h);
        }
        Ok(hash)
    }

    /// Every document matching `filter`, sorted by `doc_id`.
    fn list_docs_where(&self, filter: &Filter) -> Result<Vec<DocSummary>, StoreError> {
        let points = self.scroll(filter, Fields::Only(&payload::SUMMARY_FIELDS), false)?;
        let mut docs: BTreeMap<String, DocSummary> = BTreeMap::new();
        for p in points {
            let m = &p.payload;
            let doc_id = payload::str_field(m, "doc_id")?;
            if let Some(d) = docs.get_mut(&doc_id) {
                d.chunks += 1;
                continue;
            }
            let summary = DocSummary {
                doc_id: doc_id.clone(),
                title: payload::str_field(m, "title")?,
                kind: payload::str_field(m, "kind")?,
                schemes: payload::strings_field(m, "schemes"),
                source: payload::str_field(m, "source")?,
                version: payload::str_field(m, "version")?,
                content_hash: payload::str_field(m, "content_hash")?,
                chunks: 1,
                ingested_at: payload::str_field(m, "ingested_at")?,
            };
            docs.insert(doc_id, summary);
        }
        Ok(docs.into_values().collect())
    }

    /// Every document, sorted by `doc_id`.
    fn list_docs(&self) -> Result<Vec<DocSummary>, StoreError> {
        self.list_docs_where(&Filter::default())
    }

    /// A document's chunks (with their dense vectors), ordered by `chunk_index`.
    fn doc_chunks(&self, doc_id: &str) -> Result<Vec<ChunkRecord>, StoreError> {
        let mut chunks = self
            .scroll(&Filter::doc(doc_id), Fields::All, true)?
            .into_iter()
            .map(|p| payload::from_payload(&p.payload, p.dense))
            .collect::<Result<Vec<_>, _>>()?;
        chunks.sort_by_key(|c| c.chunk_index);
        Ok(chunks)
    }

    /// Number of chunks stored.
    fn count(&self) -> Result<usize, StoreError> {
        self.count_where(&Filter::default())
    }
}

/// Open (creating it if needed) the collection `name` of the configured
/// backend: the embedded store under the data directory, or the remote
/// Qdrant's `{collection_prefix}{name}`.
pub fn open(config: &Config, name: &str, dim: usize) -> Result<Arc<dyn VectorStore>, StoreError> {
    Ok(match config.store.backend {
        StoreBackend::Embedded => {
            Arc::new(EdgeStore::open_collection(&config.data_dir, name, dim)?)
        }
        StoreBackend::Remote => Arc::new(RemoteStore::connect(&config.store, name, dim)?),
    })
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
