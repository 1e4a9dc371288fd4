//! The remote backend: a Qdrant server or cluster through `qdrant-client`
//! (gRPC), for deployments where several API instances share one store.
//!
//! Collections, point ids, payloads and vectors are the embedded backend's:
//! named dense vector `dense` (cosine), sparse `bm25` with the IDF modifier
//! and term weights computed on our side ([`super::bm25`]), keyword indexes on
//! `kind`, `schemes`, `doc_id`. A collection is `{collection_prefix}{name}`,
//! created on first use with the configured shard and replication settings.
//! Hybrid search uses the server's prefetch + RRF with the same `k`; it needs
//! a Qdrant server of 1.16 or later (RRF with a `k` parameter).
//!
//! The [`VectorStore`] trait is blocking, the client async: each store owns a
//! small tokio runtime and blocks on it. Do not call it from an async task;
//! use `spawn_blocking`, as for the embedded backend. Every write waits for
//! the server to apply it, so `flush` has nothing left to do.

use std::collections::HashMap;
use std::time::Duration;

use qdrant_client::qdrant::{
    Condition, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FieldType, Modifier, PayloadIncludeSelector, PointId,
    PointStruct, PrefetchQueryBuilder, Query, QueryPointsBuilder, Range, Rrf, ScrollPointsBuilder,
    SparseVectorParamsBuilder, SparseVectorsConfigBuilder, UpsertPointsBuilder, Vector,
    VectorInput, VectorParamsBuilder, VectorsConfigBuilder, VectorsSelector, vector_output,
    vectors_config, with_payload_selector, with_vectors_selector,
};
use qdrant_client::{Payload, Qdrant};
use serde_json::Value;

use super::bm25::Bm25;
use super::edge::valid_collection_name;
use super::{
    ChunkRecord, DENSE_VECTOR, FieldCondition, Fields, Filter, Hit, Mode, RRF_K, SPARSE_VECTOR,
    SearchRequest, StoreError, StoredPoint, VectorStore, payload, point_id,
};
use crate::config::StoreConfig;

/// Points per upsert request.
const UPSERT_BATCH: usize = 256;
/// Points per scroll page.
const SCROLL_PAGE: u32 = 1024;

/// One collection on a Qdrant server.
pub struct RemoteStore {
    client: Qdrant,
    rt: tokio::runtime::Runtime,
    collection: String,
    bm25: Bm25,
    dim: usize,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore")
            .field("collection", &self.collection)
            .field("dim", &self.dim)
            .finish()
    }
}

impl RemoteStore {
    /// Connect to the server in `cfg` and open (creating it if needed) the
    /// collection `{collection_prefix}{name}` with `dim`-dimensional dense vectors.
    pub fn connect(cfg: &StoreConfig, name: &str, dim: usize) -> Result<Self, StoreError> {
        let collection = format!("{}{name}", cfg.collection_prefix);
        let place = format!("{} collection `{collection}`", cfg.url);
        let open_err = |reason: String| StoreError::Open {
            path: place.clone(),
            reason,
        };
        if !valid_collection_name(name) {
            return Err(open_err(format!(
                "collection name `{name}` must be 1-64 of [a-z0-9_]"
            )));
        }
        if dim == 0 {
            return Err(open_err("dense dimension must be positive".into()));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("qdrant-client")
            .enable_all()
            .build()
            .map_err(|e| open_err(e.to_string()))?;
        let client = {
            let _guard = rt.enter();
            Qdrant::from_url(&cfg.url)
                .api_key(cfg.api_key.clone())
                .timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
                .skip_compatibility_check()
                .build()
                .map_err(|e| open_err(e.to_string()))?
        };
        let store = Self {
            client,
            rt,
            collection,
            bm25: Bm25::new()?,
            dim,
        };
        store
            .ensure_collection(cfg)
            .map_err(|e| open_err(e.to_string()))?;
        Ok(store)
    }

    /// The full collection name on the server.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// Remove the collection from the server (tests and `kb reset`).
    pub fn drop_collection(&self) -> Result<(), StoreError> {
        self.rt
            .block_on(self.client.delete_collection(&self.collection))
            .map(|_| ())
            .map_err(backend)
    }

    fn ensure_collection(&self, cfg: &StoreConfig) -> Result<(), StoreError> {
        let exists = self
            .rt
            .block_on(self.client.collection_exists(&self.collection))
            .map_err(backend)?;
        if !exists {
            let mut dense = VectorsConfigBuilder::default();
            dense.add_named_vector_params(
                DENSE_VECTOR,
                VectorParamsBuilder::new(self.dim as u64, Distance::Cosine),
            );
            let mut sparse = SparseVectorsConfigBuilder::default();
            sparse.add_named_vector_params(
                SPARSE_VECTOR,
                SparseVectorParamsBuilder::default().modifier(Modifier::Idf as i32),
            );
            let create = CreateCollectionBuilder::new(&self.collection)
                .vectors_config(dense)
                .sparse_vectors_config(sparse)
                .shard_number(cfg.shard_number.max(1))
                .replication_factor(cfg.replication_factor.max(1))
                .on_disk_payload(true);
            if let Err(e) = self.rt.block_on(self.client.create_collection(create)) {
                // Another instance may have created it in the meantime.
                let now = self
                    .rt
                    .block_on(self.client.collection_exists(&self.collection))
                    .map_err(backend)?;
                if !now {
                    return Err(backend(e));
                }
            }
            for field in payload::KEYWORD_FIELDS {
                self.rt
                    .block_on(
                        self.client.create_field_index(
                            CreateFieldIndexCollectionBuilder::new(
                                &self.collection,
                                field,
                                FieldType::Keyword,
                            )
                            .wait(true),
                        ),
                    )
                    .map_err(backend)?;
            }
        }
        let info = self
            .rt
            .block_on(self.client.collection_info(&self.collection))
            .map_err(backend)?;
        let size = info
            .result
            .and_then(|i| i.config)
            .and_then(|c| c.params)
            .and_then(|p| p.vectors_config)
            .and_then(|v| v.config)
            .and_then(|c| match c {
                vectors_config::Config::ParamsMap(m) => m.map.get(DENSE_VECTOR).map(|p| p.size),
                vectors_config::Config::Params(_) => None,
            });
        if size != Some(self.dim as u64) {
            return Err(StoreError::Backend(format!(
                "the collection holds `{DENSE_VECTOR}` vectors of {size:?} dimensions, not {}",
                self.dim
            )));
        }
        Ok(())
    }

    fn to_point(
        &self,
        c: &ChunkRecord,
        doc_chunks: Option<usize>,
    ) -> Result<PointStruct, StoreError> {
        let mut vectors: HashMap<String, Vector> = HashMap::new();
        vectors.insert(DENSE_VECTOR.into(), Vector::new_dense(c.dense.clone()));
        let sparse = self.bm25.document(c);
        if !sparse.indices.is_empty() {
            vectors.insert(
                SPARSE_VECTOR.into(),
                Vector::new_sparse(sparse.indices, sparse.values),
            );
        }
        let payload = Payload::try_from(Value::Object(payload::to_payload(c, doc_chunks)))
            .map_err(|e| StoreError::Invalid(format!("chunk `{}`: {e}", c.chunk_id)))?;
        Ok(PointStruct::new(point_id(&c.chunk_id), vectors, payload))
    }
}

/// Our [`Filter`] as a Qdrant filter; `None` when it has no condition.
fn to_filter(f: &Filter, keep: &[u64]) -> Option<qdrant_client::qdrant::Filter> {
    let must: Vec<Condition> = f
        .conditions()
        .into_iter()
        .map(|c| match c {
            FieldCondition::AnyOf { key, values } => Condition::matches(key, values),
            FieldCondition::Range { key, gte, lt } => Condition::range(
                key,
                Range {
                    gte,
                    lt,
                    ..Default::default()
                },
            ),
        })
        .collect();
    if must.is_empty() && keep.is_empty() {
        return None;
    }
    let mut filter = qdrant_client::qdrant::Filter::must(must);
    if !keep.is_empty() {
        filter.must_not = vec![Condition::has_id(keep.iter().copied())];
    }
    Some(filter)
}

fn payload_json(
    payload: HashMap<String, qdrant_client::qdrant::Value>,
) -> serde_json::Map<String, Value> {
    payload
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect()
}

fn dense_of(vectors: Option<qdrant_client::qdrant::VectorsOutput>) -> Vec<f32> {
    match vectors.and_then(|v| v.get_vector_by_name(DENSE_VECTOR)) {
        Some(vector_output::Vector::Dense(d)) => d.data,
        _ => Vec::new(),
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl VectorStore for RemoteStore {
    fn write(&self, chunks: &[ChunkRecord], doc_chunks: Option<usize>) -> Result<(), StoreError> {
        for c in chunks {
            payload::validate(c, self.dim)?;
        }
        for batch in chunks.chunks(UPSERT_BATCH) {
            let points = batch
                .iter()
                .map(|c| self.to_point(c, doc_chunks))
                .collect::<Result<Vec<_>, _>>()?;
            self.rt
                .block_on(
                    self.client.upsert_points(
                        UpsertPointsBuilder::new(&self.collection, points).wait(true),
                    ),
                )
                .map_err(backend)?;
        }
        Ok(())
    }

    fn delete_where(&self, filter: &Filter, keep: &[u64]) -> Result<usize, StoreError> {
        let Some(filter) = to_filter(filter, keep) else {
            return Err(StoreError::Invalid(
                "refusing to delete without a filter".into(),
            ));
        };
        let n = self
            .rt
            .block_on(
                self.client.count(
                    CountPointsBuilder::new(&self.collection)
                        .filter(filter.clone())
                        .exact(true),
                ),
            )
            .map_err(backend)?
            .result
            .map_or(0, |r| r.count as usize);
        if n > 0 {
            self.rt
                .block_on(
                    self.client.delete_points(
                        DeletePointsBuilder::new(&self.collection)
                            .points(filter)
                            .wait(true),
                    ),
                )
                .map_err(backend)?;
        }
        Ok(n)
    }

    fn scroll(
        &self,
        filter: &Filter,
        fields: Fields<'_>,
        with_dense: bool,
    ) -> Result<Vec<StoredPoint>, StoreError> {
        let filter = to_filter(filter, &[]);
        let with_payload: with_payload_selector::SelectorOptions = match fields {
            Fields::All => true.into(),
            Fields::Only(keys) => PayloadIncludeSelector {
                fields: keys.iter().map(|k| k.to_string()).collect(),
            }
            .into(),
        };
        let with_vectors: with_vectors_selector::SelectorOptions = if with_dense {
            VectorsSelector {
                names: vec![DENSE_VECTOR.to_string()],
            }
            .into()
        } else {
            false.into()
        };
        let mut out = Vec::new();
        let mut offset: Option<PointId> = None;
        loop {
            let mut req = ScrollPointsBuilder::new(&self.collection)
                .limit(SCROLL_PAGE)
                .with_payload(with_payload.clone())
                .with_vectors(with_vectors.clone());
            if let Some(f) = &filter {
                req = req.filter(f.clone());
            }
            if let Some(o) = offset.take() {
                req = req.offset(o);
            }
            let page = self.rt.block_on(self.client.scroll(req)).map_err(backend)?;
            out.extend(page.result.into_iter().map(|p| StoredPoint {
                payload: payload_json(p.payload),
                dense: dense_of(p.vectors),
            }));
            match page.next_page_offset {
                Some(next) => offset = Some(next),
                None => return Ok(out),
            }
        }
    }

    fn search(&self, req: &SearchRequest) -> Result<Vec<Hit>, StoreError> {
        if req.limit == 0 {
            return Ok(Vec::new());
        }
        if let Some(v) = &req.dense
            && v.len() != self.dim
        {
            return Err(StoreError::Invalid(format!(
                "query vector has {} dimensions, the store {}",
                v.len(),
                self.dim
            )));
        }
        let filter = to_filter(&req.filter, &[]);
        let sparse = self.bm25.query(&req.text);
        let sparse = (!sparse.indices.is_empty())
            .then(|| VectorInput::new_sparse(sparse.indices, sparse.values));
        let dense = req.dense.clone().map(VectorInput::new_dense);
        let mut q = QueryPointsBuilder::new(&self.collection)
            .limit(req.limit as u64)
            .with_payload(true);
        if let Some(f) = &filter {
            q = q.filter(f.clone());
        }
        q = match (req.mode, dense, sparse) {
            (Mode::Dense, None, _) => {
                return Err(StoreError::Invalid(
                    "dense search without a query vector".into(),
                ));
            }
            (Mode::Dense, Some(d), _) | (Mode::Hybrid, Some(d), None) => {
                q.query(Query::new_nearest(d)).using(DENSE_VECTOR)
            }
            (Mode::Sparse | Mode::Hybrid, None, None) | (Mode::Sparse, Some(_), None) => {
                return Ok(Vec::new());
            }
            (Mode::Sparse, _, Some(s)) | (Mode::Hybrid, None, Some(s)) => {
                q.query(Query::new_nearest(s)).using(SPARSE_VECTOR)
            }
            (Mode::Hybrid, Some(d), Some(s)) => {
                let depth = (req.limit * 4).max(40) as u64;
                let prefetch = |input: VectorInput, using: &str| {
                    let mut p = PrefetchQueryBuilder::default()
                        .query(Query::new_nearest(input))
                        .using(using)
                        .limit(depth);
                    if let Some(f) = &filter {
                        p = p.filter(f.clone());
                    }
                    p
                };
                q.add_prefetch(prefetch(d, DENSE_VECTOR))
                    .add_prefetch(prefetch(s, SPARSE_VECTOR))
                    .query(Query::new_rrf(Rrf {
                        k: Some(RRF_K as u32),
                        weights: Vec::new(),
                    }))
            }
        };
        let res = self.rt.block_on(self.client.query(q)).map_err(backend)?;
        res.result
            .into_iter()
            .map(|p| {
                Ok(Hit {
                    chunk: payload::from_payload(&payload_json(p.payload), Vec::new())?,
                    score: p.score,
                })
            })
            .collect()
    }

    fn count_where(&self, filter: &Filter) -> Result<usize, StoreError> {
        let mut req = CountPointsBuilder::new(&self.collection).exact(true);
        if let Some(f) = to_filter(filter, &[]) {
            req = req.filter(f);
        }
        Ok(self
            .rt
            .block_on(self.client.count(req))
            .map_err(backend)?
            .result
            .map_or(0, |r| r.count as usize))
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn dim(&self) -> usize {
        self.dim
    }

    /// Creating an index that exists is a no-op on the server.
    fn ensure_keyword_indexes(&self, fields: &[&str]) -> Result<(), StoreError> {
        for field in fields {
            self.rt
                .block_on(
                    self.client.create_field_index(
                        CreateFieldIndexCollectionBuilder::new(
                            &self.collection,
                            *field,
                            FieldType::Keyword,
                        )
                        .wait(true),
                    ),
                )
                .map_err(backend)?;
        }
        Ok(())
    }
}
