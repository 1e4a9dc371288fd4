//! The embedded backend: one Qdrant Edge shard per collection, in-process,
//! under the data directory. No server to run; the engine, its WAL and its
//! segments live in `dir/<collection>` (`dir/kb` for the knowledge base).
//!
//! Layout of a point: named dense vector `dense` (cosine), sparse vector `bm25`
//! (IDF modifier; term weights from [`super::bm25`]), payload from
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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use qdrant_edge::{
    CountRequest, CreateIndex, Distance, EdgeConfig, EdgeShard, EdgeSparseVectorParams,
    EdgeVectorParams, FieldIndexOperations, Fusion, JsonPath, Modifier, NamedQuery, Payload,
    PayloadFieldSchema, PayloadSchemaType, PointId, PointInsertOperations, PointOperations,
    PointStructPersisted, Prefetch, QueryEnum, QueryRequest, Record, ScoredPoint, ScoringQuery,
    ScrollRequest, SparseVector, UpdateOperation, VectorInternal, VectorPersisted,
    VectorStructInternal, VectorStructPersisted, WithPayloadInterface, WithVector,
};
use serde_json::Value;

use super::bm25::Bm25;
use super::payload;
use super::{
    ChunkRecord, DENSE_VECTOR, Fields, Filter, Hit, KB_COLLECTION, Mode, RRF_K, SPARSE_VECTOR,
    SearchRequest, StoreError, StoredPoint, VectorStore, point_id,
};

/// Points per update operation (one WAL record each).
const UPSERT_BATCH: usize = 256;
/// Points per scroll page.
const SCROLL_PAGE: usize = 1024;

/// Qdrant Edge, embedded.
pub struct EdgeStore {
    shard: EdgeShard,
    bm25: Bm25,
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
    /// Open the knowledge-base collection under `dir` (the shard lives in
    /// `dir/kb`), creating it with dense vectors of `dim` dimensions if needed.
    pub fn open(dir: &Path, dim: usize) -> Result<Self, StoreError> {
        Self::open_collection(dir, KB_COLLECTION, dim)
    }

    /// Open (or create) the collection `name` under `dir`, in `dir/name`.
    /// Finishes or discards a compaction a crash interrupted, and compacts
    /// when the WAL has grown past [`WAL_COMPACT_BYTES`].
    pub fn open_collection(dir: &Path, name: &str, dim: usize) -> Result<Self, StoreError> {
        let path = dir.join(name);
        if !valid_collection_name(name) {
            return Err(StoreError::Open {
                path: path.display().to_string(),
                reason: format!("collection name `{name}` must be 1-64 of [a-z0-9_]"),
            });
        }
        recover_compaction(&path)?;
        let store = Self::open_at(&path, dim)?;
        if disk_bytes(&path.join("wal")) > WAL_COMPACT_BYTES {
            tracing::info!(path = %path.display(), "compacting the store's WAL");
            return store.compact();
        }
        Ok(store)
    }

    /// Rebuild the shard without its WAL: copy every point (vectors and
    /// payload as stored) into a fresh shard next to it, then swap the
    /// directories. qdrant-edge 0.7.0 appends to its WAL forever and never
    /// reads it back (every write here is flushed to the segments), and the
    /// WAL cannot simply be deleted: its record numbers are the points'
    /// versions, and a restarted numbering would make later updates lose
    /// against older versions. A fresh shard renumbers everything.
    /// Crash-safe: see [`recover_compaction`].
    pub fn compact(self) -> Result<Self, StoreError> {
        let path = self.path.clone();
        let dim = self.dim;
        let (tmp, _) = compaction_paths(&path);
        let io = |e: std::io::Error| StoreError::Backend(format!("compaction: {e}"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io)?;
        }
        let fresh = Self::open_at(&tmp, dim)?;
        let mut copied = 0;
        self.for_each_page(
            None,
            WithPayloadInterface::Bool(true),
            WithVector::Bool(true),
            |records| {
                copied += records.len();
                let points = records
                    .into_iter()
                    .map(|r| PointStructPersisted {
                        id: r.id,
                        vector: persisted(r.vector),
                        payload: r.payload,
                    })
                    .collect::<Vec<_>>();
                if !points.is_empty() {
                    fresh
                        .shard
                        .update(UpdateOperation::PointOperation(
                            PointOperations::UpsertPoints(PointInsertOperations::PointsList(
                                points,
                            )),
                        ))
                        .map_err(backend)?;
                }
                Ok(())
            },
        )?;
        fresh.flush()?;
        let fresh_count = fresh.count_filter(None)?;
        if fresh_count != copied {
            return Err(StoreError::Backend(format!(
                "compaction copied {copied} points but the copy holds {fresh_count}"
            )));
        }
        drop(fresh);
        drop(self);
        std::fs::write(tmp.join(COMPACTED_MARK), b"").map_err(io)?;
        recover_compaction(&path)?;
        Self::open_at(&path, dim)
    }

    fn open_at(path: &Path, dim: usize) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
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
        let bm25 = Bm25::new()?;
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

    /// Directory of the shard.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The BM25 sparse vector of a query (for tests and diagnostics).
    pub fn bm25_query(&self, text: &str) -> (Vec<u32>, Vec<f32>) {
        let v = self.bm25.query(text);
        (v.indices, v.values)
    }

    fn create_indexes(&self) -> Result<(), StoreError> {
        self.create_keyword_indexes(&payload::KEYWORD_FIELDS)
    }

    fn create_keyword_indexes(&self, fields: &[&str]) -> Result<(), StoreError> {
        let _w = self.lock_writer();
        for field in fields {
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

    fn to_point(&self, c: &ChunkRecord, doc_chunks: Option<usize>) -> PointStructPersisted {
        let mut vectors = HashMap::new();
        vectors.insert(
            DENSE_VECTOR.to_string(),
            VectorPersisted::Dense(c.dense.clone()),
        );
        let sparse = self.bm25.document(c);
        if !sparse.indices.is_empty() {
            vectors.insert(SPARSE_VECTOR.to_string(), VectorPersisted::Sparse(sparse));
        }
        PointStructPersisted {
            id: PointId::NumId(point_id(&c.chunk_id)),
            vector: VectorStructPersisted::Named(vectors),
            payload: Some(Payload(payload::to_payload(c, doc_chunks))),
        }
    }

    /// Scroll every point matching `filter`, handing each page to `f`.
    fn for_each_page(
        &self,
        filter: Option<qdrant_edge::Filter>,
        with_payload: WithPayloadInterface,
        with_vector: WithVector,
        mut f: impl FnMut(Vec<Record>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
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
            f(records)?;
            match next {
                Some(n) => offset = Some(n),
                None => return Ok(()),
            }
        }
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

    fn query(&self, req: &SearchRequest) -> Result<Vec<ScoredPoint>, StoreError> {
        let filter = payload::filter_json(&req.filter, &[])
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
            let v: SparseVector = self.bm25.query(&req.text);
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
    fn write(&self, chunks: &[ChunkRecord], doc_chunks: Option<usize>) -> Result<(), StoreError> {
        for c in chunks {
            payload::validate(c, self.dim)?;
        }
        let _w = self.lock_writer();
        for batch in chunks.chunks(UPSERT_BATCH) {
            let points = batch.iter().map(|c| self.to_point(c, doc_chunks)).collect();
            self.shard
                .update(UpdateOperation::PointOperation(
                    PointOperations::UpsertPoints(PointInsertOperations::PointsList(points)),
                ))
                .map_err(backend)?;
        }
        self.flush_shard()
    }

    fn delete_where(&self, filter: &Filter, keep: &[u64]) -> Result<usize, StoreError> {
        let Some(filter) = payload::filter_json(filter, keep) else {
            return Err(StoreError::Invalid(
                "refusing to delete without a filter".into(),
            ));
        };
        let _w = self.lock_writer();
        let n = self.count_filter(Some(filter.clone()))?;
        if n > 0 {
            self.shard
                .update(UpdateOperation::PointOperation(
                    PointOperations::DeletePointsByFilter(parse_filter(filter)?),
                ))
                .map_err(backend)?;
            self.flush_shard()?;
        }
        Ok(n)
    }

    fn scroll(
        &self,
        filter: &Filter,
        fields: Fields<'_>,
        with_dense: bool,
    ) -> Result<Vec<StoredPoint>, StoreError> {
        let filter = payload::filter_json(filter, &[])
            .map(parse_filter)
            .transpose()?;
        let with_payload = match fields {
            Fields::All => WithPayloadInterface::Bool(true),
            Fields::Only(keys) => {
                WithPayloadInterface::Fields(keys.iter().map(|k| json_path(k)).collect())
            }
        };
        let with_vector = if with_dense {
            WithVector::Selector(vec![DENSE_VECTOR.to_string()])
        } else {
            WithVector::Bool(false)
        };
        let mut out = Vec::new();
        self.for_each_page(filter, with_payload, with_vector, |records| {
            out.extend(records.into_iter().map(|r| StoredPoint {
                payload: r.payload.unwrap_or_default().0,
                dense: dense_of(r.vector),
            }));
            Ok(())
        })?;
        Ok(out)
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

    fn count_where(&self, filter: &Filter) -> Result<usize, StoreError> {
        self.count_filter(payload::filter_json(filter, &[]))
    }

    fn flush(&self) -> Result<(), StoreError> {
        let _w = self.lock_writer();
        self.flush_shard()
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn ensure_keyword_indexes(&self, fields: &[&str]) -> Result<(), StoreError> {
        let have = self.shard.info().payload_schema;
        let missing: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| !have.contains_key(&json_path(f)))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.create_keyword_indexes(&missing)?;
        let _w = self.lock_writer();
        self.flush_shard()
    }

    /// Run qdrant-edge's optimisers (merge segments, vacuum deletions, build
    /// the HNSW index once a segment is past the indexing threshold). Edge has
    /// no background optimiser, so call this after a large ingest.
    fn optimize(&self) -> Result<bool, StoreError> {
        let _w = self.lock_writer();
        let changed = self.shard.optimize().map_err(backend)?;
        self.flush_shard()?;
        Ok(changed)
    }
}

/// The WAL size (on disk) past which opening a collection compacts it.
pub const WAL_COMPACT_BYTES: u64 = 256 << 20;
/// Written into a finished compaction copy, before the directories swap.
const COMPACTED_MARK: &str = "COMPACTED";

/// `dir/name.compact` (the copy being built) and `dir/name.old` (the
/// replaced shard, until it is removed).
fn compaction_paths(path: &Path) -> (PathBuf, PathBuf) {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".compact");
    let mut old = path.as_os_str().to_owned();
    old.push(".old");
    (tmp.into(), old.into())
}

/// Bring the directories to a consistent state after a compaction that may
/// have been interrupted at any step: an unfinished copy is discarded; a
/// finished one (marked) replaces the shard; the replaced shard is removed.
fn recover_compaction(path: &Path) -> Result<(), StoreError> {
    let (tmp, old) = compaction_paths(path);
    let io = |e: std::io::Error| StoreError::Open {
        path: path.display().to_string(),
        reason: format!("finishing an interrupted compaction: {e}"),
    };
    if tmp.exists() {
        if tmp.join(COMPACTED_MARK).exists() {
            if path.exists() {
                if old.exists() {
                    std::fs::remove_dir_all(&old).map_err(io)?;
                }
                std::fs::rename(path, &old).map_err(io)?;
            }
            std::fs::rename(&tmp, path).map_err(io)?;
        } else {
            std::fs::remove_dir_all(&tmp).map_err(io)?;
        }
    }
    let mark = path.join(COMPACTED_MARK);
    if mark.exists() {
        std::fs::remove_file(mark).map_err(io)?;
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io)?;
    }
    Ok(())
}

/// Bytes a directory's files occupy on disk (WAL segments are sparse
/// preallocated files, so their length says little).
fn disk_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.blocks() * 512)
        .sum()
}

fn persisted(v: Option<VectorStructInternal>) -> VectorStructPersisted {
    let mut out = HashMap::new();
    if let Some(VectorStructInternal::Named(m)) = v {
        for (name, vector) in m {
            match vector {
                VectorInternal::Dense(d) => {
                    out.insert(name, VectorPersisted::Dense(d));
                }
                VectorInternal::Sparse(s) => {
                    out.insert(name, VectorPersisted::Sparse(s));
                }
                _ => {}
            }
        }
    }
    VectorStructPersisted::Named(out)
}

/// Collection names become directory names (and remote collection suffixes).
pub fn valid_collection_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
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
