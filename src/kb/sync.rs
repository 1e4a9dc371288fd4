//! Keeping the store in step with the curated knowledge-base folder.
//!
//! The service indexes `knowledge-base/` when it starts (on an empty store
//! this is the first ingest) and again whenever the folder's files change.
//! Documents that came from the folder carry `extra.origin = "seed"`; a
//! document whose file was removed from the folder is removed from the store.
//! Documents curators add through the API or `kb ingest` of other paths have
//! no such mark and are never touched here. While any file of the folder
//! fails to parse (a curator mid-edit), nothing is removed: a broken file must
//! not make its documents disappear.

use std::collections::{BTreeSet, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::ingest::{IngestError, Outcome, PassageEmbedder, collect_files, ingest_documents};
use super::parse::parse_file;
use crate::store::{FieldCondition, Filter, VectorStore};

/// Payload key and value that mark a document as coming from the folder.
pub const ORIGIN_KEY: &str = "origin";
pub const SEED_ORIGIN: &str = "seed";

#[derive(Debug, Default, Serialize)]
pub struct SyncReport {
    pub files: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Documents removed because their file is gone.
    pub removed: Vec<String>,
    /// (path, reason) for files that could not be parsed.
    pub failures: Vec<(String, String)>,
}

/// The filter that selects the folder's documents in the store.
pub fn seed_filter() -> Filter {
    Filter {
        fields: vec![FieldCondition::AnyOf {
            key: format!("extra.{ORIGIN_KEY}"),
            values: vec![SEED_ORIGIN.to_string()],
        }],
        ..Filter::default()
    }
}

/// Index every document under `root` (unchanged ones are skipped by hash)
/// and remove the folder's documents that no longer exist.
pub fn sync_dir(
    embedder: &dyn PassageEmbedder,
    store: &dyn VectorStore,
    root: &Path,
) -> Result<SyncReport, IngestError> {
    let (files, missing) = collect_files(&[root.to_path_buf()]);
    let mut report = SyncReport {
        files: files.len(),
        failures: missing,
        ..SyncReport::default()
    };
    let mut docs = Vec::new();
    for f in &files {
        match parse_file(f) {
            Ok(parsed) => docs.extend(parsed),
            Err(e) => report
                .failures
                .push((f.display().to_string(), e.to_string())),
        }
    }
    for d in &mut docs {
        if !d.extra.is_object() {
            d.extra = Value::Object(Default::default());
        }
        d.extra[ORIGIN_KEY] = Value::String(SEED_ORIGIN.into());
    }
    for (outcome, _) in ingest_documents(embedder, store, &docs)? {
        match outcome {
            Outcome::Added => report.added += 1,
            Outcome::Updated => report.updated += 1,
            Outcome::Unchanged => report.unchanged += 1,
        }
    }
    if report.failures.is_empty() {
        let present: HashSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        for stored in store.list_docs_where(&seed_filter())? {
            if !present.contains(stored.doc_id.as_str()) {
                store.delete_doc(&stored.doc_id)?;
                report.removed.push(stored.doc_id);
            }
        }
    }
    store.flush()?;
    Ok(report)
}

/// A cheap fingerprint of the folder (paths, sizes, modification times of
/// the files ingestion reads, and of `lexicon.toml` and `roles.toml`): when
/// it changes, sync.
pub fn fingerprint(root: &Path) -> u64 {
    let (mut files, _) = collect_files(&[root.to_path_buf()]);
    files.push(root.join("lexicon.toml"));
    files.push(root.join("roles.toml"));
    let files: BTreeSet<PathBuf> = files.into_iter().collect();
    let mut h = DefaultHasher::new();
    for f in files {
        f.hash(&mut h);
        if let Ok(m) = std::fs::metadata(&f) {
            m.len().hash(&mut h);
            m.modified().ok().hash(&mut h);
        }
    }
    h.finish()
}
