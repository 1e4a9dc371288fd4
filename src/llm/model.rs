//! One decoder-only transformer forward for the GGUF architectures we run,
//! written on candle's building blocks (quantised matmuls, RMS norm, RoPE,
//! softmax) rather than taken from candle-transformers: its Gemma 3 uses the
//! wrong activation and wrong masks (see design.md §3), and label scoring
//! needs a KV cache we can truncate, which its models keep private.
//!
//! The architectures differ in a handful of switches (`Arch`):
//! - `gemma3`: embeddings × √hidden, GELU-tanh MLP, RMS-normed q/k per head,
//!   extra norms after attention and MLP, sliding-window layers (5 of every
//!   6) with their own RoPE base, tied output;
//! - `llama`: SiLU MLP, interleaved RoPE (llama.cpp's GGUF convention);
//! - `qwen2`: llama + q/k/v biases, half-split RoPE;
//! - `qwen3`: llama + per-head q/k norms, half-split RoPE.

use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{DType, Device, IndexOp, Module, Tensor};

use super::LlmError;
use super::gguf::Gguf;
use crate::quant::Q8Matrix;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Gemma3,
    Llama,
    Qwen2,
    Qwen3,
}

impl Arch {
    pub fn from_name(name: &str) -> Result<Self, LlmError> {
        Ok(match name {
            "gemma3" => Arch::Gemma3,
            "llama" => Arch::Llama,
            "qwen2" => Arch::Qwen2,
            "qwen3" => Arch::Qwen3,
            other => {
                return Err(LlmError::Unsupported(format!(
                    "architecture '{other}' (supported: gemma3, llama, qwen2, qwen3)"
                )));
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct DecoderConfig {
    pub arch: Arch,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub ffn: usize,
    pub eps: f64,
    pub rope_base: f32,
    /// RoPE base of the sliding-window layers (Gemma 3: 10 000).
    pub rope_base_local: f32,
    pub sliding_window: Option<usize>,
    /// Every `swa_pattern`-th layer is global, the others slide (0: none slide).
    pub swa_pattern: usize,
    pub context_length: usize,
}

impl DecoderConfig {
    pub fn from_gguf(g: &Gguf) -> Result<Self, LlmError> {
        let name = g.string("general.architecture")?;
        let arch = Arch::from_name(&name)?;
        let key = |k: &str| format!("{name}.{k}");
        let hidden = g.usize(&key("embedding_length"))?;
        let heads = g.usize(&key("attention.head_count"))?;
        let head_dim = g
            .usize_opt(&key("attention.key_length"))
            .unwrap_or(hidden / heads);
        let rope_dim = g
            .usize_opt(&key("rope.dimension_count"))
            .unwrap_or(head_dim);
        if rope_dim != head_dim {
            return Err(LlmError::Unsupported(format!(
                "partial RoPE ({rope_dim} of {head_dim})"
            )));
        }
        let sliding_window = if arch == Arch::Gemma3 {
            g.usize_opt(&key("attention.sliding_window"))
        } else {
            None
        };
        Ok(Self {
            arch,
            hidden,
            layers: g.usize(&key("block_count"))?,
            heads,
            kv_heads: g
                .usize_opt(&key("attention.head_count_kv"))
                .unwrap_or(heads),
            head_dim,
            ffn: g.usize(&key("feed_forward_length"))?,
            eps: g
                .f32_opt(&key("attention.layer_norm_rms_epsilon"))
                .unwrap_or(1e-6) as f64,
            rope_base: g.f32_opt(&key("rope.freq_base")).unwrap_or(10_000.0),
            rope_base_local: 10_000.0,
            swa_pattern: if sliding_window.is_some() { 6 } else { 0 },
            sliding_window,
            context_length: g.usize_opt(&key("context_length")).unwrap_or(4096),
        })
    }

    fn is_sliding(&self, layer: usize) -> bool {
        self.sliding_window.is_some()
            && self.swa_pattern > 0
            && layer % self.swa_pattern < self.swa_pattern - 1
    }
}

/// A weight matrix: Q8_0 ones run on our VNNI kernel (`q8`), every other
/// type on candle's quantised matmul.
enum Matrix {
    Q8(Q8Matrix),
    Candle(QMatMul),
}

impl Matrix {
    fn new(t: std::sync::Arc<QTensor>, dequantize: bool) -> Result<Self, LlmError> {
        if dequantize {
            return Ok(Matrix::Candle(QMatMul::Tensor(
                t.dequantize(&Device::Cpu).map_err(cerr)?,
            )));
        }
        match Q8Matrix::from_qtensor(&t).map_err(cerr)? {
            Some(q) => Ok(Matrix::Q8(q)),
            None => Ok(Matrix::Candle(QMatMul::from_arc(t).map_err(cerr)?)),
        }
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Matrix::Q8(q) => q.forward(x),
            Matrix::Candle(m) => m.forward(x),
        }
    }
}

struct Linear {
    w: Matrix,
    b: Option<Tensor>,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.w.forward(x)?;
        match &self.b {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

struct Block {
    attn_norm: Tensor,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    q_norm: Option<Tensor>,
    k_norm: Option<Tensor>,
    post_attn_norm: Option<Tensor>,
    ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
    post_ffn_norm: Option<Tensor>,
    sliding: bool,
}

/// Keys and values of the tokens seen so far, per layer.
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    len: usize,
}

impl KvCache {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Forget every position from `len` on (used to try several continuations of one prompt).
    pub fn truncate(&mut self, len: usize) -> candle_core::Result<()> {
        if len >= self.len {
            return Ok(());
        }
        for (k, v) in self.layers.iter_mut().flatten() {
            *k = k.narrow(2, 0, len)?.contiguous()?;
            *v = v.narrow(2, 0, len)?.contiguous()?;
        }
        self.len = len;
        Ok(())
    }
}

struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    fn new(base: f32, head_dim: usize, max_pos: usize, dev: &Device) -> candle_core::Result<Self> {
        let inv: Vec<f32> = (0..head_dim / 2)
            .map(|i| 1.0 / base.powf(2.0 * i as f32 / head_dim as f32))
            .collect();
        let inv = Tensor::from_vec(inv, (1, head_dim / 2), dev)?;
        let pos = Tensor::arange(0u32, max_pos as u32, dev)?
            .to_dtype(DType::F32)?
            .reshape((max_pos, 1))?;
        let freqs = pos.matmul(&inv)?;
        Ok(Self {
            cos: freqs.cos()?,
            sin: freqs.sin()?,
        })
    }
}

fn f16_round(x: &Tensor) -> candle_core::Result<Tensor> {
    x.to_dtype(DType::F16)?.to_dtype(DType::F32)
}

/// GELU with the tanh approximation (what Gemma was trained with), looked
/// up in a table over every f16 input — the way ggml computes it, so our
/// activations round like llama.cpp's. Outside ±10 the function is 0 or x.
fn gelu_tanh_f16(x: &Tensor) -> candle_core::Result<Tensor> {
    use half::f16;
    use std::sync::OnceLock;
    static TABLE: OnceLock<Vec<f32>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|bits| {
                let v = f16::from_bits(bits).to_f32();
                let g = 0.5 * v * (1.0 + (0.797_884_6_f32 * v * (1.0 + 0.044715 * v * v)).tanh());
                f16::from_f32(g).to_f32()
            })
            .collect()
    });
    let shape = x.shape().clone();
    let data: Vec<f32> = x
        .flatten_all()?
        .to_vec1::<f32>()?
        .into_iter()
        .map(|v| {
            if v <= -10.0 {
                0.0
            } else if v >= 10.0 {
                v
            } else {
                table[f16::from_f32(v).to_bits() as usize]
            }
        })
        .collect();
    Tensor::from_vec(data, shape, x.device())
}

pub struct Decoder {
    pub config: DecoderConfig,
    embed: Matrix,
    embed_scale: Option<f64>,
    blocks: Vec<Block>,
    output_norm: Tensor,
    /// None: tied to `embed`.
    output: Option<Matrix>,
    rope_global: Rope,
    rope_local: Rope,
    max_positions: usize,
    device: Device,
}

/// Positions precomputed for RoPE; longer contexts are refused with a clear error.
const MAX_POSITIONS: usize = 8192;

fn cerr(e: candle_core::Error) -> LlmError {
    LlmError::Compute(e.to_string())
}

impl Decoder {
    /// `dequantize`: hold every matrix as f32 (slow, large; for exactness
    /// tests, where int8 activation rounding would blur the comparison).
    pub fn load(g: &mut Gguf, dequantize: bool) -> Result<Self, LlmError> {
        let config = DecoderConfig::from_gguf(g)?;
        let dev = Device::Cpu;
        let dense = |g: &mut Gguf, name: &str| -> Result<Tensor, LlmError> {
            g.tensor(name)?.dequantize(&dev).map_err(cerr)
        };
        let linear = |g: &mut Gguf, name: &str| -> Result<Linear, LlmError> {
            let w = Matrix::new(
                std::sync::Arc::new(g.tensor(&format!("{name}.weight"))?),
                dequantize,
            )?;
            let bias = format!("{name}.bias");
            let b = if g.has_tensor(&bias) {
                Some(dense(g, &bias)?)
            } else {
                None
            };
            Ok(Linear { w, b })
        };
        let optional = |g: &mut Gguf, name: &str| -> Result<Option<Tensor>, LlmError> {
            if g.has_tensor(name) {
                dense(g, name).map(Some)
            } else {
                Ok(None)
            }
        };
        let mut blocks = Vec::with_capacity(config.layers);
        for l in 0..config.layers {
            let p = format!("blk.{l}");
            blocks.push(Block {
                attn_norm: dense(g, &format!("{p}.attn_norm.weight"))?,
                q: linear(g, &format!("{p}.attn_q"))?,
                k: linear(g, &format!("{p}.attn_k"))?,
                v: linear(g, &format!("{p}.attn_v"))?,
                o: linear(g, &format!("{p}.attn_output"))?,
                q_norm: optional(g, &format!("{p}.attn_q_norm.weight"))?,
                k_norm: optional(g, &format!("{p}.attn_k_norm.weight"))?,
                post_attn_norm: optional(g, &format!("{p}.post_attention_norm.weight"))?,
                ffn_norm: dense(g, &format!("{p}.ffn_norm.weight"))?,
                gate: linear(g, &format!("{p}.ffn_gate"))?,
                up: linear(g, &format!("{p}.ffn_up"))?,
                down: linear(g, &format!("{p}.ffn_down"))?,
                post_ffn_norm: optional(g, &format!("{p}.post_ffw_norm.weight"))?,
                sliding: config.is_sliding(l),
            });
        }
        // Tied output head (Gemma, SmolLM): one matrix serves the embedding
        // lookup and the logits.
        let embed = Matrix::new(std::sync::Arc::new(g.tensor("token_embd.weight")?), false)?;
        let output = if g.has_tensor("output.weight") {
            Some(Matrix::new(
                std::sync::Arc::new(g.tensor("output.weight")?),
                dequantize,
            )?)
        } else if dequantize {
            Some(Matrix::new(
                std::sync::Arc::new(g.tensor("token_embd.weight")?),
                true,
            )?)
        } else {
            None
        };
        let max_positions = config.context_length.min(MAX_POSITIONS);
        let rope_global =
            Rope::new(config.rope_base, config.head_dim, max_positions, &dev).map_err(cerr)?;
        let rope_local = Rope::new(config.rope_base_local, config.head_dim, max_positions, &dev)
            .map_err(cerr)?;
        Ok(Self {
            embed_scale: (config.arch == Arch::Gemma3).then(|| (config.hidden as f64).sqrt()),
            output_norm: dense(g, "output_norm.weight")?,
            config,
            embed,
            blocks,
            output,
            rope_global,
            rope_local,
            max_positions,
            device: dev,
        })
    }

    pub fn new_cache(&self) -> KvCache {
        KvCache {
            layers: vec![None; self.config.layers],
            len: 0,
        }
    }

    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// Run `ids` after the cached positions; returns the final-normed hidden
    /// states, one row per input token, shape (n, hidden).
    pub fn forward_hidden(&self, ids: &[u32], cache: &mut KvCache) -> Result<Tensor, LlmError> {
        if ids.is_empty() {
            return Err(LlmError::EmptyInput);
        }
        if cache.len + ids.len() > self.max_positions {
            return Err(LlmError::ContextFull {
                limit: self.max_positions,
                needed: cache.len + ids.len(),
            });
        }
        self.forward_inner(ids, cache).map_err(cerr)
    }

    /// Logits over the vocabulary for each row of `hidden`, shape (n, vocab).
    pub fn logits(&self, hidden: &Tensor) -> Result<Tensor, LlmError> {
        self.output
            .as_ref()
            .unwrap_or(&self.embed)
            .forward(hidden)
            .map_err(cerr)
    }

    fn forward_inner(&self, ids: &[u32], cache: &mut KvCache) -> candle_core::Result<Tensor> {
        let c = &self.config;
        let t = ids.len();
        let pos = cache.len;
        let mut x = match &self.embed {
            Matrix::Q8(q) => q.embedding(ids)?,
            Matrix::Candle(m) => m.embedding(&Tensor::new(ids, &self.device)?)?,
        }; // (t, hidden)
        if let Some(s) = self.embed_scale {
            x = (x * s)?;
        }
        let x3 = x.unsqueeze(0)?; // (1, t, hidden)
        let mut x = x3;
        for (layer, block) in self.blocks.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &block.attn_norm, c.eps as f32)?;
            let attn = self.attention(block, &h, pos, &mut cache.layers[layer])?;
            let attn = match &block.post_attn_norm {
                Some(n) => candle_nn::ops::rms_norm(&attn, n, c.eps as f32)?,
                None => attn,
            };
            x = (x + attn)?;
            let h = candle_nn::ops::rms_norm(&x, &block.ffn_norm, c.eps as f32)?;
            let gate = block.gate.forward(&h)?;
            let gate = match c.arch {
                Arch::Gemma3 => gelu_tanh_f16(&gate)?,
                _ => candle_nn::ops::silu(&gate)?,
            };
            let ff = block.down.forward(&(gate * block.up.forward(&h)?)?)?;
            let ff = match &block.post_ffn_norm {
                Some(n) => candle_nn::ops::rms_norm(&ff, n, c.eps as f32)?,
                None => ff,
            };
            x = (x + ff)?;
        }
        cache.len += t;
        let x = candle_nn::ops::rms_norm(&x, &self.output_norm, c.eps as f32)?;
        x.squeeze(0)
    }

    fn attention(
        &self,
        b: &Block,
        h: &Tensor,
        pos: usize,
        cache: &mut Option<(Tensor, Tensor)>,
    ) -> candle_core::Result<Tensor> {
        let c = &self.config;
        let (_, t, _) = h.dims3()?;
        let (nh, nkv, hd) = (c.heads, c.kv_heads, c.head_dim);
        let q = b.q.forward(h)?.reshape((1, t, nh, hd))?;
        let k = b.k.forward(h)?.reshape((1, t, nkv, hd))?;
        let v = b.v.forward(h)?.reshape((1, t, nkv, hd))?;
        let q = match &b.q_norm {
            Some(n) => candle_nn::ops::rms_norm(&q, n, c.eps as f32)?,
            None => q,
        };
        let k = match &b.k_norm {
            Some(n) => candle_nn::ops::rms_norm(&k, n, c.eps as f32)?,
            None => k,
        };
        let q = q.transpose(1, 2)?.contiguous()?;
        let k = k.transpose(1, 2)?.contiguous()?;
        let v = v.transpose(1, 2)?.contiguous()?;
        let rope = if b.sliding {
            &self.rope_local
        } else {
            &self.rope_global
        };
        let cos = rope.cos.narrow(0, pos, t)?;
        let sin = rope.sin.narrow(0, pos, t)?;
        let (q, k) = if c.arch == Arch::Llama {
            (
                candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?,
                candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?,
            )
        } else {
            (
                candle_nn::rotary_emb::rope(&q, &cos, &sin)?,
                candle_nn::rotary_emb::rope(&k, &cos, &sin)?,
            )
        };
        // Keys and values are cached in f16 (half the memory) and queries and
        // attention weights rounded to f16 for the products, as llama.cpp does
        // by default; keeping its rounding keeps greedy outputs comparable.
        let q = f16_round(&(q * (1.0 / (hd as f64).sqrt()))?)?;
        let k = k.to_dtype(DType::F16)?;
        let v = v.to_dtype(DType::F16)?;
        let (k_all, v_all) = match cache.take() {
            Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?),
            None => (k, v),
        };
        *cache = Some((k_all.clone(), v_all.clone()));

        // Keys this query block may see: all cached ones, or for a sliding
        // layer only the window behind the first query.
        let total = pos + t;
        let first_key = match (b.sliding, c.sliding_window) {
            (true, Some(w)) => (pos + 1).saturating_sub(w),
            _ => 0,
        };
        let (k_use, v_use) = if first_key > 0 {
            (
                k_all.narrow(2, first_key, total - first_key)?,
                v_all.narrow(2, first_key, total - first_key)?,
            )
        } else {
            (k_all, v_all)
        };
        let s = total - first_key;
        // Grouped-query attention without copying K/V: the n_rep query heads
        // that share a KV head are stacked along the row axis.
        let n_rep = nh / nkv;
        let q = q.reshape((1, nkv, n_rep * t, hd))?;
        let k_use = k_use.to_dtype(DType::F32)?.contiguous()?;
        let v_use = v_use.to_dtype(DType::F32)?.contiguous()?;
        let mut scores = q.matmul(&k_use.t()?)?; // (1, nkv, n_rep*t, s)
        let needs_mask = t > 1 || (b.sliding && c.sliding_window.is_some_and(|w| s > w));
        if needs_mask {
            let window = if b.sliding { c.sliding_window } else { None };
            let mut m = vec![0f32; t * s];
            for i in 0..t {
                let qp = pos + i;
                for j in 0..s {
                    let kp = first_key + j;
                    let visible = kp <= qp && window.is_none_or(|w| qp - kp < w);
                    if !visible {
                        m[i * s + j] = f32::NEG_INFINITY;
                    }
                }
            }
            let mask = Tensor::from_vec(m, (1, t, s), &self.device)?
                .broadcast_as((n_rep, t, s))?
                .reshape((1, 1, n_rep * t, s))?;
            scores = scores.broadcast_add(&mask)?;
        }
        let probs = f16_round(&candle_nn::ops::softmax_last_dim(&scores)?)?;
        let ctx = probs.matmul(&v_use)?; // (1, nkv, n_rep*t, hd)
        let ctx = ctx
            .reshape((1, nh, t, hd))?
            .transpose(1, 2)?
            .reshape((1, t, nh * hd))?;
        b.o.forward(&ctx)
    }

    pub fn last_row(hidden: &Tensor) -> Result<Tensor, LlmError> {
        let n = hidden.dim(0).map_err(cerr)?;
        hidden.i(n - 1..n).map_err(cerr)
    }
}
