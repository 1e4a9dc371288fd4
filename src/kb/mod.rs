//! The knowledge base: documents curators write (patterns, cases,
//! regulations, labelled examples), how they are read from files and cut
//! into chunks for retrieval.
//!
//! `parse` turns a file into documents (Markdown with YAML front matter,
//! plain text, JSON Lines, PDF, DOCX); `chunk` cuts a document into
//! overlapping, sentence-aligned pieces; `ingest` embeds them and hands
//! them to the store.

pub mod chunk;
pub mod ingest;
pub mod lexicon;
pub mod parse;
pub mod sync;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a document is, for filtering retrieval.
pub const KINDS: &[&str] = &["pattern", "case", "regulation", "example", "other"];

#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("{path}: cannot read: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: unsupported file type (use .md, .txt, .jsonl, .pdf or .docx)")]
    Unsupported { path: String },
}

/// One knowledge-base document, as a curator wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub schemes: Vec<String>,
    pub source: String,
    pub version: String,
    pub text: String,
    /// Every other metadata field (front matter, JSON keys), kept for display.
    pub extra: serde_json::Value,
}

impl Document {
    /// SHA-256 over everything that affects the index: re-ingesting a
    /// document with the same hash is a no-op.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            &self.id,
            &self.title,
            &self.kind,
            &self.source,
            &self.version,
            &self.text,
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        for s in &self.schemes {
            h.update(s.as_bytes());
            h.update([1u8]);
        }
        h.update(self.extra.to_string().as_bytes());
        hex::encode(h.finalize())
    }
}

/// A document id must be usable in URLs and chunk ids.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
