//! Ingestion: files → documents → chunks → embeddings → the store.
//!
//! Idempotent by content hash: a document whose hash is already stored is
//! skipped; a changed one replaces all its old chunks (the store's
//! `replace_doc` leaves no orphans). A file that cannot be read or parsed
//! is reported with the reason and the rest go on.

use std::path::{Path, PathBuf};

use super::chunk::{ChunkParams, chunk};
use super::parse::parse_file;
use super::{Document, KbError};
use crate::embed::{EmbedError, Embedder, Role};
use crate::store::{ChunkRecord, StoreError, VectorStore};

/// What ingestion needs from an embedding model: passage vectors. The
/// engine itself (CLI) and the embedding service (server, from a blocking
/// task) both provide it.
pub trait PassageEmbedder {
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

impl PassageEmbedder for Embedder {
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed(texts, Role::Passage)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Added,
    Updated,
    Unchanged,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct IngestReport {
    pub files: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub chunks: usize,
    /// (path, reason) for every file that could not be ingested.
    pub failures: Vec<(String, String)>,
}

const SUPPORTED: &[&str] = &[
    "md", "markdown", "txt", "text", "jsonl", "ndjson", "pdf", "docx",
];

/// Files to ingest under `paths`: files as given, folders walked (sorted;
/// README files and unsupported extensions inside folders are skipped).
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(String, String)>) {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let ext = p
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if SUPPORTED.contains(&ext.as_str()) && !name.eq_ignore_ascii_case("README.md") {
                    out.push(p);
                }
            }
        }
    }
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            missing.push((
                p.display().to_string(),
                "no such file or folder".to_string(),
            ));
        }
    }
    (files, missing)
}

/// The text a chunk is embedded and BM25-indexed with: its document title
/// and heading give the chunk the context it lacks on its own.
pub fn embedding_text(c: &ChunkRecord) -> String {
    match &c.heading {
        Some(h) => format!("{}｜{}\n{}", c.title, h, c.text),
        None => format!("{}\n{}", c.title, c.text),
    }
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Chunk records of a document, without vectors yet.
fn records(doc: &Document, hash: &str, ingested_at: &str) -> Vec<ChunkRecord> {
    chunk(&doc.text, ChunkParams::default())
        .into_iter()
        .map(|c| ChunkRecord {
            chunk_id: ChunkRecord::make_id(&doc.id, c.index),
            doc_id: doc.id.clone(),
            chunk_index: c.index,
            title: doc.title.clone(),
            kind: doc.kind.clone(),
            schemes: doc.schemes.clone(),
            source: doc.source.clone(),
            version: doc.version.clone(),
            ingested_at: ingested_at.to_string(),
            content_hash: hash.to_string(),
            heading: c.heading,
            text: c.text,
            extra: doc.extra.clone(),
            dense: Vec::new(),
        })
        .collect()
}

/// Index documents (see the module comment). Chunks of all changed
/// documents are embedded together, so the encoder sees full batches.
pub fn ingest_documents(
    embedder: &dyn PassageEmbedder,
    store: &dyn VectorStore,
    docs: &[Document],
) -> Result<Vec<(Outcome, usize)>, IngestError> {
    let ingested_at = now_rfc3339();
    let mut outcomes = Vec::with_capacity(docs.len());
    let mut pending: Vec<(usize, Vec<ChunkRecord>)> = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let hash = doc.content_hash();
        let existing = store.doc_hash(&doc.id)?;
        if existing.as_deref() == Some(hash.as_str()) {
            outcomes.push((Outcome::Unchanged, 0));
            continue;
        }
        outcomes.push((
            if existing.is_some() {
                Outcome::Updated
            } else {
                Outcome::Added
            },
            0,
        ));
        pending.push((i, records(doc, &hash, &ingested_at)));
    }
    let texts: Vec<String> = pending
        .iter()
        .flat_map(|(_, rs)| rs.iter().map(embedding_text))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut vectors = if refs.is_empty() {
        Vec::new().into_iter()
    } else {
        embedder.embed_passages(&refs)?.into_iter()
    };
    for (i, mut rs) in pending {
        for r in &mut rs {
            r.dense = vectors.next().unwrap_or_default();
        }
        store.replace_doc(&docs[i].id, &rs)?;
        outcomes[i].1 = rs.len();
    }
    Ok(outcomes)
}

/// Ingest files and folders; `progress` is told after each file.
pub fn ingest_paths(
    embedder: &dyn PassageEmbedder,
    store: &dyn VectorStore,
    paths: &[PathBuf],
    mut progress: impl FnMut(&Path, usize, usize),
) -> Result<IngestReport, IngestError> {
    let (files, missing) = collect_files(paths);
    let mut report = IngestReport {
        failures: missing,
        ..Default::default()
    };
    for (i, f) in files.iter().enumerate() {
        report.files += 1;
        match parse_file(f) {
            Ok(docs) => {
                for (outcome, n) in ingest_documents(embedder, store, &docs)? {
                    report.chunks += n;
                    match outcome {
                        Outcome::Added => report.added += 1,
                        Outcome::Updated => report.updated += 1,
                        Outcome::Unchanged => report.unchanged += 1,
                    }
                }
            }
            Err(
                e @ (KbError::Read { .. } | KbError::Parse { .. } | KbError::Unsupported { .. }),
            ) => {
                report
                    .failures
                    .push((f.display().to_string(), e.to_string()));
            }
        }
        progress(f, i + 1, files.len());
    }
    store.flush()?;
    Ok(report)
}
