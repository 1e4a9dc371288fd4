//! LLM tokenizer built from a GGUF file's `tokenizer.ggml.*` metadata with
//! the `tokenizers` crate.
//!
//! Two families, as llama.cpp names them:
//! - `llama` (SentencePiece BPE, e.g. Gemma): the file has pieces and
//!   scores but no merge list. A SentencePiece BPE merges, at each step, the
//!   adjacent pair whose concatenation is the highest-scoring piece, so the
//!   equivalent merge list is every split `(a, b)` of a piece `a+b` with both
//!   halves in the vocabulary, ranked by the piece's score. Spaces become
//!   `▁`; characters outside the vocabulary fall back to `<0xXX>` byte tokens.
//! - `gpt2` (byte-level BPE, e.g. SmolLM2, Qwen): vocabulary and merges are
//!   in the file; the pre-tokenizer regex follows `tokenizer.ggml.pre`.
//!
//! User-defined tokens (type 4: runs of spaces, newlines, tabs…) are matched
//! in the raw text before the model runs, as llama.cpp does. Control tokens
//! (type 3: `<start_of_turn>`, `<|im_end|>` …) are never parsed out of text:
//! complaint texts are untrusted input, and a customer who types
//! `<end_of_turn>` must not be able to steer the prompt. Code that needs a
//! control token asks for its id (`LlmTokenizer::token_id`).

use std::collections::HashMap;

use tokenizers::decoders::DecoderWrapper;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::{
    NormalizerWrapper, Prepend, Replace, Sequence as NormalizerSequence,
};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence as PreSequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, ModelWrapper, SplitDelimiterBehavior, Tokenizer};

use super::LlmError;
use super::gguf::Gguf;

const TOKEN_CONTROL: i32 = 3;
const TOKEN_USER_DEFINED: i32 = 4;

pub struct LlmTokenizer {
    pub inner: Tokenizer,
    pub bos: Option<u32>,
    pub eos: u32,
    /// Extra end-of-generation ids (e.g. `<end_of_turn>`, `<|im_end|>`).
    pub stop_ids: Vec<u32>,
    pub add_bos: bool,
    pub vocab_size: usize,
    pub family: String,
    control: HashMap<String, u32>,
}

fn tok_err(e: impl std::fmt::Display) -> LlmError {
    LlmError::Format(format!("tokenizer: {e}"))
}

impl LlmTokenizer {
    pub fn from_gguf(g: &Gguf) -> Result<Self, LlmError> {
        let family = g.string("tokenizer.ggml.model")?;
        let tokens = g.strings("tokenizer.ggml.tokens")?;
        let types = g.i32s("tokenizer.ggml.token_type").unwrap_or_default();
        let vocab: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut tokenizer = match family.as_str() {
            "llama" => {
                let scores = g.f32s("tokenizer.ggml.scores").ok_or_else(|| {
                    tok_err("a SentencePiece vocabulary needs tokenizer.ggml.scores")
                })?;
                let add_space_prefix = g
                    .bool_opt("tokenizer.ggml.add_space_prefix")
                    .unwrap_or(true);
                spm_tokenizer(&tokens, &scores, &types, vocab, add_space_prefix, g)?
            }
            "gpt2" => {
                let merges = g.strings("tokenizer.ggml.merges")?;
                let pre = g
                    .string("tokenizer.ggml.pre")
                    .unwrap_or_else(|_| "default".into());
                gpt2_tokenizer(vocab, &merges, &pre)?
            }
            other => {
                return Err(LlmError::Unsupported(format!(
                    "tokenizer model '{other}' (supported: llama, gpt2)"
                )));
            }
        };
        let user: Vec<AddedToken> = tokens
            .iter()
            .enumerate()
            .filter(|(i, t)| types.get(*i) == Some(&TOKEN_USER_DEFINED) && !t.is_empty())
            .map(|(_, t)| AddedToken::from(t.clone(), false).normalized(false))
            .collect();
        tokenizer.add_tokens(&user);
        let control: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| types.get(*i) == Some(&TOKEN_CONTROL))
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();

        let eos = g.usize("tokenizer.ggml.eos_token_id")? as u32;
        let bos = g.usize_opt("tokenizer.ggml.bos_token_id").map(|b| b as u32);
        let add_bos = g
            .bool_opt("tokenizer.ggml.add_bos_token")
            .unwrap_or(family == "llama");
        let stop_ids = ["<end_of_turn>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>"]
            .iter()
            .filter_map(|s| tokens.iter().position(|t| t == s).map(|p| p as u32))
            .filter(|&id| id != eos)
            .collect();
        Ok(Self {
            inner: tokenizer,
            bos,
            eos,
            stop_ids,
            add_bos,
            vocab_size: tokens.len(),
            family,
            control,
        })
    }

    /// Token ids for `text`, with BOS when the model expects one.
    pub fn encode(&self, text: &str, with_bos: bool) -> Result<Vec<u32>, LlmError> {
        let enc = self.inner.encode(text, false).map_err(tok_err)?;
        let mut ids = Vec::with_capacity(enc.len() + 1);
        if let (true, true, Some(b)) = (with_bos, self.add_bos, self.bos) {
            ids.push(b);
        }
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    /// Id of a control token such as `<start_of_turn>`, if the model has it.
    pub fn token_id(&self, control_token: &str) -> Option<u32> {
        self.control.get(control_token).copied()
    }

    pub fn decode(&self, ids: &[u32]) -> Result<String, LlmError> {
        self.inner.decode(ids, true).map_err(tok_err)
    }

    pub fn is_end(&self, id: u32) -> bool {
        id == self.eos || self.stop_ids.contains(&id)
    }
}

fn spm_tokenizer(
    tokens: &[String],
    scores: &[f32],
    types: &[i32],
    vocab: HashMap<String, u32>,
    add_space_prefix: bool,
    g: &Gguf,
) -> Result<Tokenizer, LlmError> {
    // Merge candidates: every split of every normal piece into two pieces.
    let mut merges: Vec<(f32, u32, String, String)> = Vec::new();
    for (i, piece) in tokens.iter().enumerate() {
        if types.get(i).is_some_and(|&t| t != 1) {
            continue; // control, user-defined, byte and unused pieces are never merge results
        }
        let bounds: Vec<usize> = piece.char_indices().map(|(b, _)| b).skip(1).collect();
        for b in bounds {
            let (l, r) = piece.split_at(b);
            if vocab.contains_key(l) && vocab.contains_key(r) {
                merges.push((scores[i], i as u32, l.to_string(), r.to_string()));
            }
        }
    }
    // Highest score first; ties by piece id then by split, for determinism.
    merges.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.len().cmp(&b.2.len()))
    });
    let merges: Vec<(String, String)> = merges.into_iter().map(|(_, _, l, r)| (l, r)).collect();
    let unk = g
        .usize_opt("tokenizer.ggml.unknown_token_id")
        .and_then(|u| tokens.get(u).cloned());
    let mut builder = BPE::builder()
        .vocab_and_merges(vocab.into_iter().collect::<Vocab>(), merges)
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(u) = unk {
        builder = builder.unk_token(u);
    }
    let bpe = builder.build().map_err(tok_err)?;
    let mut t = Tokenizer::new(ModelWrapper::BPE(bpe));
    let mut norm: Vec<NormalizerWrapper> = Vec::new();
    if add_space_prefix {
        norm.push(NormalizerWrapper::Prepend(Prepend::new("▁".into())));
    }
    norm.push(NormalizerWrapper::Replace(
        Replace::new(" ", "▁").map_err(tok_err)?,
    ));
    t.with_normalizer(Some(NormalizerWrapper::Sequence(NormalizerSequence::new(
        norm,
    ))));
    let mut dec: Vec<DecoderWrapper> = vec![
        DecoderWrapper::Replace(Replace::new("▁", " ").map_err(tok_err)?),
        DecoderWrapper::ByteFallback(ByteFallback::new()),
        DecoderWrapper::Fuse(Fuse::new()),
    ];
    if add_space_prefix {
        dec.push(DecoderWrapper::Strip(
            tokenizers::decoders::strip::Strip::new(' ', 1, 0),
        ));
    }
    t.with_decoder(Some(DecoderWrapper::Sequence(DecoderSequence::new(dec))));
    Ok(t)
}

fn gpt2_tokenizer(
    vocab: HashMap<String, u32>,
    merges: &[String],
    pre: &str,
) -> Result<Tokenizer, LlmError> {
    let merges: Vec<(String, String)> = merges
        .iter()
        .filter_map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab.into_iter().collect::<Vocab>(), merges)
        .build()
        .map_err(tok_err)?;
    let mut t = Tokenizer::new(ModelWrapper::BPE(bpe));
    let byte_level = PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true));
    let pre_tok = match pre {
        // digits one by one, then the GPT-2 regex (llama.cpp's "smollm", "starcoder", …)
        "smollm" | "starcoder" | "refact" | "codeshell" => {
            PreTokenizerWrapper::Sequence(PreSequence::new(vec![
                PreTokenizerWrapper::Digits(Digits::new(true)),
                byte_level,
            ]))
        }
        // Qwen 2/3 and Llama 3 split numbers in groups of up to three digits
        "qwen2" | "llama3" | "llama-bpe" => {
            let pattern = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
            let split = Split::new(
                SplitPattern::Regex(pattern.into()),
                SplitDelimiterBehavior::Isolated,
                false,
            )
            .map_err(tok_err)?;
            PreTokenizerWrapper::Sequence(PreSequence::new(vec![
                PreTokenizerWrapper::Split(split),
                PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, false)),
            ]))
        }
        _ => byte_level,
    };
    t.with_pre_tokenizer(Some(pre_tok));
    t.with_decoder(Some(DecoderWrapper::ByteLevel(ByteLevelDecoder::default())));
    Ok(t)
}
