//! The embedded backend: one Qdrant Edge shard in-process, under the data
//! directory. No server to run; the engine, its WAL and its segments live in
//! `dir/kb`.
//!
//! Layout of a point: named dense vector `dense` (cosine), sparse vector `bm25`
//! (IDF modifier; term weights from qdrant-edge's BM25 embedder with the
//! multilingual tokenizer, which segments Chinese with jieba), payload from
//! [`super::payload`], keyword indexes on `kind`, `schemes`, `doc_id`.
//!
//! Concurrency: reads run in parallel, without a lock of ours. Writes, flushes
//! and optimisation are serialised by one mutex, because `EdgeShard::flush`
//! *panics* when it cannot take the WAL or segment-holder lock at once.
//!
//! Durability: qdrant-edge 0.7.0 writes a WAL but does not replay it on load;
//! what survives a crash is what its segments flushed. So every write method
//! flushes before it returns (a SIGKILL mid-ingest loses at most the call in
//! flight, which `doc_hash` then reports as inconsistent). Flush failures
//! (which qdrant-edge raises as panics) come back as `StoreError::Backend`,
//! except on drop: `EdgeShard` flushes in its destructor and panics if it
//! cannot, so never remove the directory while the store is open.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};
use qdrant_edge::{
    CountRequest, CreateIndex, Distance, EdgeConfig, EdgeShard, EdgeSparseVectorParams,
    EdgeVectorParams, FieldIndexOperations, Fusion, JsonPath, Modifier, NamedQuery, Payload,
    PayloadFieldSchema, PayloadSchemaType, PointId, PointInsertOperations, PointOperations,
    PointStructPersisted, Prefetch, QueryEnum, QueryRequest, ScoredPoint, ScoringQuery,
    ScrollRequest, SparseVector, UpdateOperation, VectorInternal, VectorPersisted,
    VectorStructInternal, VectorStructPersisted, WithPayloadInterface, WithVector,
};
use serde_json::Value;

use super::payload::{self, DOC_CHUNKS_KEY};
use super::{
    ChunkRecord, DENSE_VECTOR, DocSummary, Hit, Mode, RRF_K, SPARSE_VECTOR, SearchRequest,
    StoreError, VectorStore, point_id,
};

/// Points per update operation (one WAL record each).
const UPSERT_BATCH: usize = 256;
/// Points per scroll page.
const SCROLL_PAGE: usize = 1024;

/// The BM25 embedder settings: multilingual tokenizer (charabia: jieba word
/// segmentation for Chinese, Unicode word boundaries for Latin scripts),
/// English + Chinese stopwords, English Snowball stemming, lowercase.
fn bm25_config() -> EdgeBm25Config {
    serde_json::from_value(serde_json::json!({
        "tokenizer": "multilingual",
        "stopwords": { "languages": ["english", "chinese"] },
        "stemmer": { "type": "snowball", "language": "english" },
    }))
    .expect("static BM25 config is valid")
}

/// Qdrant Edge, embedded.
pub struct EdgeStore {
    shard: EdgeShard,
    bm25: EdgeBm25,
    dim: usize,
    path: PathBuf,
    writer: Mutex<()>,
}

impl std::fmt::Debug for EdgeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeStore")
            .field("path", &self.path)
            .field("dim", &self.dim)
            .finish()
    }
}

impl EdgeStore {
    /// Open the store under `dir` (the shard lives in `dir/kb`), creating it
    /// with dense vectors of `dim` dimensions if it does not exist yet.
    pub fn open(dir: &Path, dim: usize) -> Result<Self, StoreError> {
        let path = dir.join("kb");
        let open_err = |reason: String| StoreError::Open {
            path: path.display().to_string(),
            reason,
        };
        if dim == 0 {
            return Err(open_err("dense dimension must be positive".into()));
        }
        std::fs::create_dir_all(&path).map_err(|e| open_err(e.to_string()))?;
        let config = EdgeConfig::builder()
            .vector(
                DENSE_VECTOR,
                EdgeVectorParams::builder(dim, Distance::Cosine).build(),
            )
            .sparse_vector(
                SPARSE_VECTOR,
                EdgeSparseVectorParams::builder()
                    .modifier(Modifier::Idf)
                    .build(),
            )
            .on_disk_payload(true)
            .build();
        let existing = path.join("edge_config.json").exists();
        let shard = if existing {
            let shard = EdgeShard::load(&path, None).map_err(|e| open_err(e.to_string()))?;
            let stored = shard.config().vectors.get(DENSE_VECTOR).map(|v| v.size);
            if stored != Some(dim) {
                return Err(open_err(format!(
                    "the store holds `{DENSE_VECTOR}` vectors of {stored:?} dimensions, not {dim}"
                )));
            }
            if !shard.config().sparse_vectors.contains_key(SPARSE_VECTOR) {
                return Err(open_err(format!(
                    "the store has no `{SPARSE_VECTOR}` vector"
                )));
            }
            shard
        } else {
            EdgeShard::new(&path, config).map_err(|e| open_err(e.to_string()))?
        };
        let bm25 = EdgeBm25::new(bm25_config()).map_err(|e| open_err(e.to_string()))?;
        let store = Self {
            shard,
            bm25,
            dim,
            path,
            writer: Mutex::new(()),
        };
        if !existing {
            store.create_indexes()?;
            store.flush()?;
        }
        Ok(store)
    }

    /// Dimension of the dense vectors.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Directory of the shard.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run qdrant-edge's optimisers (merge segments, vacuum deletions, build
    /// the HNSW index once a segment is past the indexing threshold). Edge has
    /// no background optimiser, so call this after a large ingest. Blocking.
    pub fn optimize(&self) -> Result<bool, StoreError> {
        let _w = self.lock_writer();
        let changed = self.shard.optimize().map_err(backend)?;
        self.flush_shard()?;
        Ok(changed)
    }

    /// The BM25 sparse vector of a query (for tests and diagnostics).
    pub fn bm25_query(&self, text: &str) -> (Vec<u32>, Vec<f32>) {
        let v = self.bm25.embed_query(text);
        (v.indices, v.values)
    }

    fn create_indexes(&self) -> Result<(), StoreError> {
        let _w = self.lock_writer();
        for field in payload::KEYWORD_FIELDS {
            self.shard
                .update(UpdateOperation::FieldIndexOperation(
                    FieldIndexOperations::CreateIndex(CreateIndex {
                        field_name: json_path(field),
                        field_schema: Some(PayloadFieldSchema::FieldType(
                            PayloadSchemaType::Keyword,
                        )),
                    }),
                ))
                .map_err(backend)?;
        }
        Ok(())
    }

    /// `EdgeShard::flush` panics on an I/O error; turn that into an error.
    /// Call with the writer lock held (it also panics on a busy lock).
    fn flush_shard(&self) -> Result<(), StoreError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.shard.flush())).map_err(
            |panic| {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown error".into());
                StoreError::Backend(format!("flush failed: {msg}"))
            },
        )
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bm25_text(c: &ChunkRecord) -> String {
        let mut s = String::with_capacity(c.title.len() + c.text.len() + 2);
        s.push_str(&c.title);
        s.push('\n');
        if let Some(h) = &c.heading {
            s.push_str(h);
            s.push('\n');
        }
        s.push_str(&c.text);
        s
    }

    fn to_point(&self, c: &ChunkRecord, doc_chunks: Option<usize>) -> PointStructPersisted {
        let mut vectors = HashMap::new();
        vectors.insert(
            DENSE_VECTOR.to_string(),
            VectorPersisted::Dense(c.dense.clone()),
        );
        let sparse = self.bm25.embed_document(&Self::bm25_text(c));
        if !sparse.indices.is_empty() {
            vectors.insert(SPARSE_VECTOR.to_string(), VectorPersisted::Sparse(sparse));
        }
        PointStructPersisted {
            id: PointId::NumId(point_id(&c.chunk_id)),
            vector: VectorStructPersisted::Named(vectors),
            payload: Some(Payload(payload::to_payload(c, doc_chunks))),
        }
    }

    /// Upsert without taking the writer lock or flushing (the caller does both).
    fn upsert_locked(
        &self,
        chunks: &[ChunkRecord],
        doc_chunks: Option<usize>,
    ) -> Result<(), StoreError> {
        for c in chunks {
            payload::validate(c, self.dim)?;
        }
        for batch in chunks.chunks(UPSERT_BATCH) {
            let points = batch.iter().map(|c| self.to_point(c, doc_chunks)).collect();
            self.shard
                .update(UpdateOperation::PointOperation(
                    PointOperations::UpsertPoints(PointInsertOperations::PointsList(points)),
                ))
                .map_err(backend)?;
        }
        Ok(())
    }

    fn delete_by_filter_locked(&self, filter: Value) -> Result<usize, StoreError> {
        let n = self.count_filter(Some(filter.clone()))?;
        if n > 0 {
            self.shard
                .update(UpdateOperation::PointOperation(
                    PointOperations::DeletePointsByFilter(parse_filter(filter)?),
                ))
                .map_err(backend)?;
        }
        Ok(n)
    }

    fn count_filter(&self, filter: Option<Value>) -> Result<usize, StoreError> {
        let filter = filter.map(parse_filter).transpose()?;
        self.shard
            .count(CountRequest {
                filter,
                exact: true,
            })
            .map_err(backend)
    }

    /// Every point matching `filter`, page by page.
    fn scroll_all(
        &self,
        filter: Option<Value>,
        with_payload: WithPayloadInterface,
        with_vector: WithVector,
    ) -> Result<Vec<(Payload, Option<VectorStructInternal>)>, StoreError> {
        let filter = filter.map(parse_filter).transpose()?;
        let mut out = Vec::new();
        let mut offset = None;
        loop {
            let (records, next) = self
                .shard
                .scroll(ScrollRequest {
                    offset,
                    limit: Some(SCROLL_PAGE),
                    filter: filter.clone(),
                    with_payload: Some(with_payload.clone()),
                    with_vector: with_vector.clone(),
                    order_by: None,
                })
                .map_err(backend)?;
            out.extend(
                records
                    .into_iter()
                    .map(|r| (r.payload.unwrap_or_default(), r.vector)),
            );
            match next {
                Some(n) => offset = Some(n),
                None => return Ok(out),
            }
        }
    }

    fn query(&self, req: &SearchRequest) -> Result<Vec<ScoredPoint>, StoreError> {
        let filter = payload::filter_json(&req.filter)
            .map(parse_filter)
            .transpose()?;
        let dense = match &req.dense {
            Some(v) if v.len() != self.dim => {
                return Err(StoreError::Invalid(format!(
                    "query vector has {} dimensions, the store {}",
                    v.len(),
                    self.dim
                )));
            }
            Some(v) => Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery::new(
                VectorInternal::Dense(v.clone()),
                DENSE_VECTOR,
            )))),
            None => None,
        };
        let sparse = {
            let v: SparseVector = self.bm25.embed_query(&req.text);
            (!v.indices.is_empty()).then(|| {
                ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery::new(
                    VectorInternal::Sparse(v),
                    SPARSE_VECTOR,
                )))
            })
        };
        let (query, prefetches) = match (req.mode, dense, sparse) {
            (Mode::Dense, None, _) => {
                return Err(StoreError::Invalid(
                    "dense search without a query vector".into(),
                ));
            }
            (Mode::Dense, Some(d), _) | (Mode::Hybrid, Some(d), None) => (d, Vec::new()),
            (Mode::Sparse | Mode::Hybrid, None, None) | (Mode::Sparse, Some(_), None) => {
                return Ok(Vec::new());
            }
            (Mode::Sparse, _, Some(s)) | (Mode::Hybrid, None, Some(s)) => (s, Vec::new()),
            (Mode::Hybrid, Some(d), Some(s)) => {
                let depth = (req.limit * 4).max(40);
                let prefetch = |q| Prefetch {
                    prefetches: Vec::new(),
                    query: Some(q),
                    limit: depth,
                    params: None,
                    filter: filter.clone(),
                    score_threshold: None,
                };
                (
                    ScoringQuery::Fusion(Fusion::Rrf {
                        k: RRF_K,
                        weights: None,
                    }),
                    vec![prefetch(d), prefetch(s)],
                )
            }
        };
        self.shard
            .query(QueryRequest {
                prefetches,
                query: Some(query),
                filter,
                score_threshold: None,
                limit: req.limit,
                offset: 0,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(true),
            })
            .map_err(backend)
    }
}

impl VectorStore for EdgeStore {
    fn upsert(&self, chunks: &[ChunkRecord]) -> Result<(), StoreError> {
        let _w = self.lock_writer();
        self.upsert_locked(chunks, None)?;
        self.flush_shard()
    }

    fn delete_doc(&self, doc_id: &str) -> Result<usize, StoreError> {
        let _w = self.lock_writer();
        let n = self.delete_by_filter_locked(payload::doc_filter_json(doc_id, &[]))?;
        self.flush_shard()?;
        Ok(n)
    }

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
            payload::validate(c, self.dim)?;
        }
        let _w = self.lock_writer();
        // Stale chunks go first: if the process dies before the upsert ends, the
        // chunks left disagree on hash or count, and `doc_hash` reports it.
        self.delete_by_filter_locked(payload::doc_filter_json(doc_id, &ids))?;
        self.upsert_locked(chunks, Some(chunks.len()))?;
        self.flush_shard()
    }

    fn doc_hash(&self, doc_id: &str) -> Result<Option<String>, StoreError> {
        let fields = vec![json_path("content_hash"), json_path(DOC_CHUNKS_KEY)];
        let points = self.scroll_all(
            Some(payload::doc_filter_json(doc_id, &[])),
            WithPayloadInterface::Fields(fields),
            WithVector::Bool(false),
        )?;
        let mut hash: Option<String> = None;
        for (p, _) in &points {
            let h = payload::str_field(&p.0, "content_hash")?;
            if hash.as_ref().is_some_and(|prev| *prev != h) {
                return Ok(None);
            }
            if let Some(expected) = p.0.get(DOC_CHUNKS_KEY).and_then(Value::as_u64)
                && expected as usize != points.len()
            {
                return Ok(None);
            }
            hash = Some(h);
        }
        Ok(hash)
    }

    fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>, StoreError> {
        if req.limit == 0 {
            return Ok(Vec::new());
        }
        self.query(req)?
            .into_iter()
            .map(|p| {
                let payload = p.payload.unwrap_or_default();
                Ok(Hit {
                    chunk: payload::from_payload(&payload.0, Vec::new())?,
                    score: p.score,
                })
            })
            .collect()
    }

    fn list_docs(&self) -> Result<Vec<DocSummary>, StoreError> {
        let fields = payload::SUMMARY_FIELDS
            .iter()
            .map(|f| json_path(f))
            .collect();
        let points = self.scroll_all(
            None,
            WithPayloadInterface::Fields(fields),
            WithVector::Bool(false),
        )?;
        let mut docs: BTreeMap<String, DocSummary> = BTreeMap::new();
        for (p, _) in points {
            let m = &p.0;
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

    fn doc_chunks(&self, doc_id: &str) -> Result<Vec<ChunkRecord>, StoreError> {
        let points = self.scroll_all(
            Some(payload::doc_filter_json(doc_id, &[])),
            WithPayloadInterface::Bool(true),
            WithVector::Selector(vec![DENSE_VECTOR.to_string()]),
        )?;
        let mut chunks = points
            .into_iter()
            .map(|(p, v)| payload::from_payload(&p.0, dense_of(v)))
            .collect::<Result<Vec<_>, _>>()?;
        chunks.sort_by_key(|c| c.chunk_index);
        Ok(chunks)
    }

    fn count(&self) -> Result<usize, StoreError> {
        self.count_filter(None)
    }

    fn flush(&self) -> Result<(), StoreError> {
        let _w = self.lock_writer();
        self.flush_shard()
    }
}

fn dense_of(v: Option<VectorStructInternal>) -> Vec<f32> {
    match v {
        Some(VectorStructInternal::Named(mut m)) => match m.remove(DENSE_VECTOR) {
            Some(VectorInternal::Dense(d)) => d,
            _ => Vec::new(),
        },
        Some(VectorStructInternal::Single(d)) => d,
        _ => Vec::new(),
    }
}

fn json_path(key: &str) -> JsonPath {
    key.parse().expect("payload keys are valid JSON paths")
}

fn parse_filter(v: Value) -> Result<qdrant_edge::Filter, StoreError> {
    serde_json::from_value(v).map_err(|e| StoreError::Invalid(format!("filter: {e}")))
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}
