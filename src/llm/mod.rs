//! Local LLM: GGUF files run on candle, for label scoring and drafting.
//!
//! `Llm` owns a decoder and its tokenizer and offers the two operations the
//! product needs: `generate` (sampled or greedy continuation, streamed token
//! by token, with stop strings) and `score` (log-likelihood of candidate
//! continuations of one prompt; the prompt is prefilled once and its KV
//! cache shared by every candidate).

mod gguf;
mod model;
mod tokenizer;

use std::path::Path;

use candle_core::{D, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};

pub use model::{Arch, DecoderConfig};

use gguf::Gguf;
use model::Decoder;
use tokenizer::LlmTokenizer;

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("cannot open LLM file: {0}")]
    Open(String),
    #[error("invalid GGUF file: {0}")]
    Format(String),
    #[error("unsupported model: {0}")]
    Unsupported(String),
    #[error("empty input: the prompt has no tokens")]
    EmptyInput,
    #[error("context full: {needed} tokens needed, the model is limited to {limit}")]
    ContextFull { limit: usize, needed: usize },
    #[error("LLM computation failed: {0}")]
    Compute(String),
}

fn cerr(e: candle_core::Error) -> LlmError {
    LlmError::Compute(e.to_string())
}

/// Sampling and stopping settings for `generate`.
#[derive(Debug, Clone)]
pub struct GenerateParams {
    pub max_tokens: usize,
    /// 0 (or below) means greedy.
    pub temperature: f64,
    pub top_k: Option<usize>,
    pub top_p: Option<f64>,
    pub seed: u64,
    pub stop: Vec<String>,
}

impl Default for GenerateParams {
    fn default() -> Self {
        Self {
            max_tokens: 128,
            temperature: 0.0,
            top_k: None,
            top_p: None,
            seed: 42,
            stop: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model produced its end-of-sequence token.
    EndOfSequence,
    /// A stop string appeared.
    StopString,
    /// `max_tokens` were generated.
    MaxTokens,
    /// The caller asked to stop (e.g. the client went away).
    Cancelled,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Generation {
    pub text: String,
    pub tokens: usize,
    pub prompt_tokens: usize,
    pub stop_reason: StopReason,
    /// Wall time of the prompt prefill (first forward pass).
    pub prefill_ms: f64,
    /// Wall time of every later step (one token each).
    pub decode_ms: f64,
}

/// Log-likelihood of one candidate continuation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CandidateScore {
    pub candidate: String,
    /// Sum of the token log-probabilities.
    pub logprob: f32,
    pub tokens: usize,
}

/// What `models info` shows about a GGUF file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LlmInfo {
    pub architecture: String,
    pub name: Option<String>,
    pub vocab_size: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub context_length: usize,
    pub tokenizer: String,
}

pub struct Llm {
    decoder: Decoder,
    tokenizer: LlmTokenizer,
    info: LlmInfo,
}

impl Llm {
    pub fn load(path: &Path) -> Result<Self, LlmError> {
        Self::load_with(path, false)
    }

    /// Load with every matrix dequantised to f32: several times larger and
    /// slower, but free of int8 activation rounding, so two ways of computing
    /// the same thing agree to float precision (used by exactness tests).
    pub fn load_dequantized(path: &Path) -> Result<Self, LlmError> {
        Self::load_with(path, true)
    }

    fn load_with(path: &Path, dequantize: bool) -> Result<Self, LlmError> {
        let mut g = Gguf::open(path)?;
        let tokenizer = LlmTokenizer::from_gguf(&g)?;
        let decoder = Decoder::load(&mut g, dequantize)?;
        let c = &decoder.config;
        let info = LlmInfo {
            architecture: g.string("general.architecture")?,
            name: g.string("general.name").ok(),
            vocab_size: tokenizer.vocab_size,
            hidden: c.hidden,
            layers: c.layers,
            heads: c.heads,
            kv_heads: c.kv_heads,
            context_length: c.context_length,
            tokenizer: tokenizer.family.clone(),
        };
        Ok(Self {
            decoder,
            tokenizer,
            info,
        })
    }

    pub fn info(&self) -> &LlmInfo {
        &self.info
    }

    pub fn max_positions(&self) -> usize {
        self.decoder.max_positions()
    }

    /// Prompt token ids (BOS added when the model expects one).
    pub fn encode_prompt(&self, prompt: &str) -> Result<Vec<u32>, LlmError> {
        self.tokenizer.encode(prompt, true)
    }

    pub fn decode(&self, ids: &[u32]) -> Result<String, LlmError> {
        self.tokenizer.decode(ids)
    }

    /// Id of a control token (e.g. `<start_of_turn>`); text never produces them.
    pub fn control_token(&self, name: &str) -> Option<u32> {
        self.tokenizer.token_id(name)
    }

    /// Next-token logits after `prompt` (for tests and diagnostics).
    pub fn next_token_logits(&self, prompt: &str) -> Result<Vec<f32>, LlmError> {
        let ids = self.encode_prompt(prompt)?;
        let mut cache = self.decoder.new_cache();
        let hidden = self.decoder.forward_hidden(&ids, &mut cache)?;
        let logits = self.decoder.logits(&Decoder::last_row(&hidden)?)?;
        logits
            .flatten_all()
            .and_then(|l| l.to_vec1::<f32>())
            .map_err(cerr)
    }

    /// Next-token logits after `prompt`, feeding the prompt `chunk` tokens
    /// at a time (1 = token by token). Equal to `next_token_logits` up to
    /// rounding; tests use it to check the cache and the masks at every offset.
    pub fn next_token_logits_chunked(
        &self,
        prompt: &str,
        chunk: usize,
    ) -> Result<Vec<f32>, LlmError> {
        let ids = self.encode_prompt(prompt)?;
        let mut cache = self.decoder.new_cache();
        let mut last = None;
        for part in ids.chunks(chunk.max(1)) {
            last = Some(self.decoder.forward_hidden(part, &mut cache)?);
        }
        let hidden = last.ok_or(LlmError::EmptyInput)?;
        let logits = self.decoder.logits(&Decoder::last_row(&hidden)?)?;
        logits
            .flatten_all()
            .and_then(|l| l.to_vec1::<f32>())
            .map_err(cerr)
    }

    /// Continue `prompt`. `on_text` receives each new piece of text as soon
    /// as it is final (never half a character, never part of a stop string);
    /// returning `false` cancels.
    pub fn generate(
        &self,
        prompt: &str,
        params: &GenerateParams,
        mut on_text: impl FnMut(&str) -> bool,
    ) -> Result<Generation, LlmError> {
        let prompt_ids = self.encode_prompt(prompt)?;
        let mut cache = self.decoder.new_cache();
        let sampling = if params.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            let temperature = params.temperature;
            match (params.top_k, params.top_p) {
                (Some(k), Some(p)) => Sampling::TopKThenTopP { k, p, temperature },
                (Some(k), None) => Sampling::TopK { k, temperature },
                (None, Some(p)) => Sampling::TopP { p, temperature },
                (None, None) => Sampling::All { temperature },
            }
        };
        let mut sampler = LogitsProcessor::from_sampling(params.seed, sampling);
        let mut generated: Vec<u32> = Vec::new();
        let mut emitted = 0usize; // bytes of `text` already handed to on_text
        let mut text = String::new();
        let mut input = prompt_ids.clone();
        let mut stop_reason = StopReason::MaxTokens;
        let started = std::time::Instant::now();
        let mut prefill_ms = 0.0;
        while generated.len() < params.max_tokens {
            if cache.len() + input.len() > self.decoder.max_positions() {
                break;
            }
            let hidden = self.decoder.forward_hidden(&input, &mut cache)?;
            let logits = self.decoder.logits(&Decoder::last_row(&hidden)?)?;
            let logits = logits.squeeze(0).map_err(cerr)?;
            let next = sampler.sample(&logits).map_err(cerr)?;
            if generated.is_empty() {
                prefill_ms = started.elapsed().as_secs_f64() * 1e3;
            }
            if self.tokenizer.is_end(next) {
                stop_reason = StopReason::EndOfSequence;
                break;
            }
            generated.push(next);
            input = vec![next];
            text = self.tokenizer.decode(&generated)?;
            if let Some(cut) = params
                .stop
                .iter()
                .filter_map(|s| text.find(s.as_str()))
                .min()
            {
                text.truncate(cut);
                stop_reason = StopReason::StopString;
                break;
            }
            // Hold back an incomplete character and any tail that may start a stop string.
            let mut safe = text.len();
            if text.ends_with('\u{FFFD}') {
                safe = text.trim_end_matches('\u{FFFD}').len();
            }
            safe = safe.min(text.len() - longest_stop_prefix_suffix(&text, &params.stop));
            if safe > emitted && text.is_char_boundary(safe) && text.is_char_boundary(emitted) {
                if !on_text(&text[emitted..safe]) {
                    stop_reason = StopReason::Cancelled;
                    emitted = safe;
                    break;
                }
                emitted = safe;
            }
        }
        if emitted < text.len()
            && stop_reason != StopReason::Cancelled
            && text.is_char_boundary(emitted)
        {
            on_text(&text[emitted..]);
        }
        let decode_ms = started.elapsed().as_secs_f64() * 1e3 - prefill_ms;
        Ok(Generation {
            text,
            tokens: generated.len(),
            prompt_tokens: prompt_ids.len(),
            stop_reason,
            prefill_ms,
            decode_ms,
        })
    }

    /// Log-probability of each candidate as the continuation of `prompt`.
    /// The prompt is run once; each candidate reuses its KV cache.
    pub fn score(
        &self,
        prompt: &str,
        candidates: &[&str],
    ) -> Result<Vec<CandidateScore>, LlmError> {
        let prompt_ids = self.encode_prompt(prompt)?;
        let mut cache = self.decoder.new_cache();
        let hidden = self.decoder.forward_hidden(&prompt_ids, &mut cache)?;
        let base = cache.len();
        // Rows whose logits we need: the prompt's last position, then each
        // candidate's positions but its last; gathered into one lm-head matmul.
        let mut rows = vec![Decoder::last_row(&hidden)?];
        let mut plan = Vec::with_capacity(candidates.len()); // (token ids, first row index)
        for cand in candidates {
            let ids = self.tokenizer.encode(cand, false)?;
            if ids.is_empty() {
                return Err(LlmError::EmptyInput);
            }
            let first_row = if ids.len() > 1 {
                let h = self
                    .decoder
                    .forward_hidden(&ids[..ids.len() - 1], &mut cache)?;
                cache.truncate(base).map_err(cerr)?;
                rows.push(h);
                rows.len() - 1
            } else {
                0
            };
            plan.push((ids, first_row));
        }
        let all = Tensor::cat(&rows, 0).map_err(cerr)?;
        let logits = self.decoder.logits(&all)?;
        let logp = candle_nn::ops::log_softmax(&logits, D::Minus1).map_err(cerr)?;
        let logp: Vec<Vec<f32>> = logp.to_vec2().map_err(cerr)?;
        // row offsets: row 0 = prompt end; candidate block i starts at its own row index
        let mut starts = vec![0usize; rows.len()];
        let mut acc = 0;
        for (i, r) in rows.iter().enumerate() {
            starts[i] = acc;
            acc += r.dim(0).map_err(cerr)?;
        }
        Ok(plan
            .into_iter()
            .zip(candidates)
            .map(|((ids, block), cand)| {
                let mut total = logp[0][ids[0] as usize];
                for (j, &id) in ids.iter().enumerate().skip(1) {
                    total += logp[starts[block] + j - 1][id as usize];
                }
                CandidateScore {
                    candidate: cand.to_string(),
                    logprob: total,
                    tokens: ids.len(),
                }
            })
            .collect())
    }
}

/// Length of the longest suffix of `text` that is a proper prefix of a stop string.
fn longest_stop_prefix_suffix(text: &str, stops: &[String]) -> usize {
    let mut best = 0;
    for s in stops {
        for (i, _) in s.char_indices().skip(1) {
            if text.ends_with(&s[..i]) {
                best = best.max(i);
            }
        }
    }
    best
}

/// Read a GGUF file's metadata without loading its weights.
pub fn inspect(path: &Path) -> Result<LlmInfo, LlmError> {
    let g = Gguf::open(path)?;
    let c = DecoderConfig::from_gguf(&g)?;
    Ok(LlmInfo {
        architecture: g.string("general.architecture")?,
        name: g.string("general.name").ok(),
        vocab_size: g.strings("tokenizer.ggml.tokens")?.len(),
        hidden: c.hidden,
        layers: c.layers,
        heads: c.heads,
        kv_heads: c.kv_heads,
        context_length: c.context_length,
        tokenizer: g.string("tokenizer.ggml.model")?,
    })
}

#[cfg(test)]
mod stop_tests {
    use super::longest_stop_prefix_suffix;

    #[test]
    fn held_back_tail_is_a_stop_prefix() {
        let stops = vec!["</draft>".to_string()];
        assert_eq!(longest_stop_prefix_suffix("abc</dr", &stops), 4);
        assert_eq!(longest_stop_prefix_suffix("abc", &stops), 0);
        assert_eq!(longest_stop_prefix_suffix("a<", &stops), 1);
    }
}
