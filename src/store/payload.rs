//! [`ChunkRecord`] to and from the stored payload, and [`Filter`] to Qdrant's
//! filter JSON. Payload keys and filter shape are the same in every Qdrant
//! backend (embedded or server), so a collection written by one reads in the other.

use serde_json::{Map, Value, json};

use super::{ChunkRecord, FieldCondition, Filter, StoreError};

/// Reserved payload key: how many chunks the document had when
/// `replace_doc` wrote it (lets `doc_hash` detect an interrupted write).
pub const DOC_CHUNKS_KEY: &str = "_doc_chunks";

/// Payload fields indexed as keywords (the filterable ones).
pub const KEYWORD_FIELDS: [&str; 3] = ["kind", "schemes", "doc_id"];

/// Payload fields needed for a [`super::DocSummary`] (everything but the text).
pub const SUMMARY_FIELDS: [&str; 9] = [
    "doc_id",
    "title",
    "kind",
    "schemes",
    "source",
    "version",
    "content_hash",
    "ingested_at",
    DOC_CHUNKS_KEY,
];

pub fn to_payload(c: &ChunkRecord, doc_chunks: Option<usize>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("chunk_id".into(), json!(c.chunk_id));
    m.insert("doc_id".into(), json!(c.doc_id));
    m.insert("chunk_index".into(), json!(c.chunk_index));
    m.insert("title".into(), json!(c.title));
    m.insert("kind".into(), json!(c.kind));
    m.insert("schemes".into(), json!(c.schemes));
    m.insert("source".into(), json!(c.source));
    m.insert("version".into(), json!(c.version));
    m.insert("ingested_at".into(), json!(c.ingested_at));
    m.insert("content_hash".into(), json!(c.content_hash));
    m.insert("heading".into(), json!(c.heading));
    m.insert("text".into(), json!(c.text));
    m.insert("extra".into(), c.extra.clone());
    if let Some(n) = doc_chunks {
        m.insert(DOC_CHUNKS_KEY.into(), json!(n));
    }
    m
}

pub fn from_payload(m: &Map<String, Value>, dense: Vec<f32>) -> Result<ChunkRecord, StoreError> {
    Ok(ChunkRecord {
        chunk_id: str_field(m, "chunk_id")?,
        doc_id: str_field(m, "doc_id")?,
        chunk_index: m
            .get("chunk_index")
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| missing("chunk_index"))?,
        title: str_field(m, "title")?,
        kind: str_field(m, "kind")?,
        schemes: strings_field(m, "schemes"),
        source: str_field(m, "source")?,
        version: str_field(m, "version")?,
        ingested_at: str_field(m, "ingested_at")?,
        content_hash: str_field(m, "content_hash")?,
        heading: m.get("heading").and_then(Value::as_str).map(str::to_owned),
        text: str_field(m, "text")?,
        extra: m.get("extra").cloned().unwrap_or(Value::Null),
        dense,
    })
}

pub fn str_field(m: &Map<String, Value>, key: &str) -> Result<String, StoreError> {
    m.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| missing(key))
}

pub fn strings_field(m: &Map<String, Value>, key: &str) -> Vec<String> {
    match m.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn missing(key: &str) -> StoreError {
    StoreError::Backend(format!("stored payload lacks `{key}`"))
}

/// Qdrant filter JSON (the embedded engine's serde form) for a [`Filter`]:
/// every condition under `must`, and the points in `keep` under `must_not`.
/// `None` when there is no condition at all.
pub fn filter_json(f: &Filter, keep: &[u64]) -> Option<Value> {
    let must: Vec<Value> = f
        .conditions()
        .into_iter()
        .map(|c| match c {
            FieldCondition::AnyOf { key, values } => {
                json!({ "key": key, "match": { "any": values } })
            }
            FieldCondition::Range { key, gte, lt } => {
                json!({ "key": key, "range": { "gte": gte, "lt": lt } })
            }
        })
        .collect();
    if must.is_empty() && keep.is_empty() {
        return None;
    }
    let mut out = json!({ "must": must });
    if !keep.is_empty() {
        out["must_not"] = json!([{ "has_id": keep }]);
    }
    Some(out)
}

/// Check a chunk before it is written.
pub fn validate(c: &ChunkRecord, dim: usize) -> Result<(), StoreError> {
    if c.doc_id.is_empty() || c.chunk_id.is_empty() {
        return Err(StoreError::Invalid(format!(
            "chunk `{}` of `{}`: empty doc_id or chunk_id",
            c.chunk_id, c.doc_id
        )));
    }
    if c.dense.len() != dim {
        return Err(StoreError::Invalid(format!(
            "chunk `{}`: dense vector has {} dimensions, the store {dim}",
            c.chunk_id,
            c.dense.len()
        )));
    }
    if c.dense.iter().any(|v| !v.is_finite()) {
        return Err(StoreError::Invalid(format!(
            "chunk `{}`: dense vector is not finite",
            c.chunk_id
        )));
    }
    if !(c.extra.is_object() || c.extra.is_null()) {
        return Err(StoreError::Invalid(format!(
            "chunk `{}`: extra must be an object or null",
            c.chunk_id
        )));
    }
    Ok(())
}
