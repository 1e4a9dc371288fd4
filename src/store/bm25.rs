//! BM25 term weights for the sparse vector, shared by both backends.
//!
//! The weights are computed on our side with qdrant-edge's BM25 embedder (the
//! multilingual tokenizer segments Chinese with jieba), and the collection
//! applies the IDF modifier. Computing them here rather than in the server
//! means the embedded and the remote store index exactly the same terms.

use qdrant_edge::SparseVector;
use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};

use super::{ChunkRecord, StoreError};

pub struct Bm25(EdgeBm25);

/// Multilingual tokenizer (charabia: jieba word segmentation for Chinese,
/// Unicode word boundaries for Latin scripts), English + Chinese stopwords,
/// English Snowball stemming, lowercase.
fn config() -> EdgeBm25Config {
    serde_json::from_value(serde_json::json!({
        "tokenizer": "multilingual",
        "stopwords": { "languages": ["english", "chinese"] },
        "stemmer": { "type": "snowball", "language": "english" },
    }))
    .expect("static BM25 config is valid")
}

impl Bm25 {
    pub fn new() -> Result<Self, StoreError> {
        EdgeBm25::new(config())
            .map(Self)
            .map_err(|e| StoreError::Backend(format!("BM25 embedder: {e}")))
    }

    /// Term weights of a chunk: its title, heading and text.
    pub fn document(&self, c: &ChunkRecord) -> SparseVector {
        let mut s = String::with_capacity(c.title.len() + c.text.len() + 2);
        s.push_str(&c.title);
        s.push('\n');
        if let Some(h) = &c.heading {
            s.push_str(h);
            s.push('\n');
        }
        s.push_str(&c.text);
        self.0.embed_document(&s)
    }

    /// Query terms (each weighted 1; the collection's IDF does the rest).
    pub fn query(&self, text: &str) -> SparseVector {
        self.0.embed_query(text)
    }
}
