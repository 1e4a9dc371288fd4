//! The BERT (XLM-R) encoder forward pass of multilingual-e5-small on candle.
//!
//! Input: a batch of token windows, each already wrapped in `<s> … </s>`.
//! Output: the mean over each window's tokens of the last hidden state
//! (not yet normalised; the caller combines windows and L2-normalises).
//!
//! Linear layers run either on dequantised f32 weights (candle's gemm, which
//! uses AVX-512 where present) or on the Q4_0 blocks widened to Q8_0 (`quant::Q8Matrix`,
//! int8 dot products). Both are kept because the faster one depends on the
//! CPU; `WeightFormat` picks, and the benchmark measures both.

use candle_core::quantized::{GgmlDType, ggml_file::qtensor_from_ggml};
use candle_core::{Device, Module, Tensor};
use candle_nn::{LayerNorm, Linear};

use super::EmbedError;
use super::e5file::{E5Config, E5File, StoredType};
use crate::quant::Q8Matrix;
use crate::quant::blocks::widen_to_q8_0;

/// How the encoder's matrices are held in memory.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum WeightFormat {
    /// Both forms, chosen per pass by its size (see `SMALL_PASS_ROWS`).
    Auto,
    /// Dequantised to f32 at load (≈ 85 MB for the 12 layers).
    F32,
    /// The Q4_0 blocks widened to Q8_0 (exact) for our int8 kernel;
    /// activations quantised to int8 per 32 values.
    Q4,
}

/// Passes with at most this many token rows use the int8 matrices: with few
/// rows a matmul is bound by reading the weights, and int8 is 4× smaller
/// than f32. Larger passes are compute-bound and gemm's f32 AVX-512 kernels
/// win. Measured crossover on the 2-core reference machine: see README.
const SMALL_PASS_ROWS: usize = 48;

struct Proj {
    dense: Option<Linear>,
    quant: Option<(Q8Matrix, Tensor)>,
}

impl Proj {
    fn forward(&self, x: &Tensor, small: bool) -> candle_core::Result<Tensor> {
        match (&self.dense, &self.quant) {
            (Some(l), None) => l.forward(x),
            (None, Some((w, b))) => w.forward(x)?.broadcast_add(b),
            (Some(l), Some((w, b))) => {
                if small {
                    w.forward(x)?.broadcast_add(b)
                } else {
                    l.forward(x)
                }
            }
            (None, None) => candle_core::bail!("projection without weights"),
        }
    }
}

struct Layer {
    qkv: Proj,
    out: Proj,
    attn_norm: LayerNorm,
    ffn_in: Proj,
    ffn_out: Proj,
    out_norm: LayerNorm,
}

/// Word-embedding table kept in its Q4_0 form: 96M of the 118M parameters
/// live here, and a lookup only dequantises the rows it needs.
struct QuantRows {
    blocks: Vec<u8>,
    row_bytes: usize,
    rows: usize,
}

impl QuantRows {
    fn row_into(&self, row: usize, out: &mut [f32]) {
        let bytes = &self.blocks[row * self.row_bytes..(row + 1) * self.row_bytes];
        for (block, o) in bytes.chunks_exact(18).zip(out.chunks_exact_mut(32)) {
            let d = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
            for j in 0..16 {
                let q = block[2 + j];
                o[j] = ((q & 0x0f) as i32 - 8) as f32 * d;
                o[j + 16] = ((q >> 4) as i32 - 8) as f32 * d;
            }
        }
    }
}

pub struct Encoder {
    pub config: E5Config,
    word: QuantRows,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    device: Device,
}

fn candle_err(e: candle_core::Error) -> EmbedError {
    EmbedError::Compute(e.to_string())
}

impl Encoder {
    pub fn load(file: &E5File, format: WeightFormat) -> Result<Self, EmbedError> {
        let c = file.config;
        let device = Device::Cpu;
        let (h, ff) = (c.hidden, c.ffn);
        let vec_t = |name: &str, n: usize| -> Result<Tensor, EmbedError> {
            Tensor::from_vec(file.f32s(name, n)?, n, &device).map_err(candle_err)
        };
        let norm = |prefix: &str| -> Result<LayerNorm, EmbedError> {
            Ok(LayerNorm::new(
                vec_t(&format!("{prefix}.w"), h)?,
                vec_t(&format!("{prefix}.b"), h)?,
                c.layer_norm_eps as f64,
            ))
        };
        // Several stored matrices with the same input become one projection
        // (Q, K and V share their input: one matmul instead of three). The
        // Q4_0 blocks are widened to Q8_0 (exact); concatenating whole rows
        // of blocks stacks the matrices. Each format is built only if used.
        let proj = |names: &[(&str, usize)], inp: usize| -> Result<Proj, EmbedError> {
            let mut q8_blocks: Vec<u8> = Vec::new();
            let mut bs = Vec::new();
            let mut rows = 0;
            for &(name, out) in names {
                let raw = file.bytes(&format!("{name}.w"), StoredType::Q4_0, out * inp)?;
                q8_blocks.extend(widen_to_q8_0(GgmlDType::Q4_0, raw).expect("Q4_0 widens to Q8_0"));
                bs.push(vec_t(&format!("{name}.b"), out)?);
                rows += out;
            }
            let b = Tensor::cat(&bs, 0).map_err(candle_err)?;
            let q = qtensor_from_ggml(GgmlDType::Q8_0, &q8_blocks, vec![rows, inp], &device)
                .map_err(candle_err)?;
            let quant = match format {
                WeightFormat::F32 => None,
                _ => {
                    let m = Q8Matrix::from_qtensor(&q)
                        .map_err(candle_err)?
                        .ok_or_else(|| EmbedError::Format("Q8_0 repacking failed".into()))?;
                    Some((m, b.clone()))
                }
            };
            let dense = match format {
                WeightFormat::Q4 => None,
                _ => Some(Linear::new(
                    q.dequantize(&device).map_err(candle_err)?,
                    Some(b),
                )),
            };
            Ok(Proj { dense, quant })
        };
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let p = format!("l{l}");
            layers.push(Layer {
                qkv: proj(
                    &[
                        (&format!("{p}.q"), h),
                        (&format!("{p}.k"), h),
                        (&format!("{p}.v"), h),
                    ],
                    h,
                )?,
                out: proj(&[(&format!("{p}.ao"), h)], h)?,
                attn_norm: norm(&format!("{p}.aln"))?,
                ffn_in: proj(&[(&format!("{p}.fi"), ff)], h)?,
                ffn_out: proj(&[(&format!("{p}.fo"), h)], ff)?,
                out_norm: norm(&format!("{p}.oln"))?,
            });
        }
        let word_raw = file.bytes("emb.word", StoredType::Q4_0, c.vocab * h)?;
        Ok(Self {
            config: c,
            word: QuantRows {
                blocks: word_raw.to_vec(),
                row_bytes: h / 32 * 18,
                rows: c.vocab,
            },
            position: file.f32s("emb.pos", c.max_positions * h)?,
            token_type: file.f32s("emb.type", c.type_vocab * h)?,
            embed_norm: norm("emb.ln")?,
            layers,
            device,
        })
    }

    /// Mean-pooled last hidden state for each window; `windows[i]` must hold
    /// at most `max_positions` ids including `<s>`/`</s>`. Windows are padded
    /// to the longest one in the call: callers bucket by length.
    pub fn forward_mean(&self, windows: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.forward_inner(windows).map_err(candle_err)
    }

    fn forward_inner(&self, windows: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let c = &self.config;
        let (h, nh) = (c.hidden, c.heads);
        let hd = h / nh;
        let b = windows.len();
        let l = windows.iter().map(Vec::len).max().unwrap_or(0);
        if b == 0 || l == 0 {
            return Ok(vec![vec![0.0; h]; b]);
        }
        if l > c.max_positions {
            candle_core::bail!("window of {l} tokens exceeds {}", c.max_positions);
        }
        // embeddings: word + position + token type 0
        let mut x = vec![0f32; b * l * h];
        let mut mask = vec![0f32; b * l];
        for (bi, w) in windows.iter().enumerate() {
            for (t, &id) in w.iter().enumerate() {
                let id = id as usize;
                if id >= self.word.rows {
                    candle_core::bail!("token id {id} outside the vocabulary");
                }
                let row = &mut x[(bi * l + t) * h..(bi * l + t + 1) * h];
                self.word.row_into(id, row);
                let pos = &self.position[t * h..(t + 1) * h];
                for ((r, p), ty) in row.iter_mut().zip(pos).zip(&self.token_type[..h]) {
                    *r += p + ty;
                }
                mask[bi * l + t] = 1.0;
            }
        }
        let dev = &self.device;
        let mut x = Tensor::from_vec(x, (b, l, h), dev)?;
        x = self.embed_norm.forward(&x)?;
        let mask_t = Tensor::from_vec(mask.clone(), (b, l), dev)?;
        // additive attention bias: 0 for real tokens, very negative for padding
        let bias = ((mask_t.clone() - 1.0)? * 1e9)?.reshape((b, 1, 1, l))?;
        let scale = 1.0 / (hd as f64).sqrt();
        let small = b * l <= SMALL_PASS_ROWS;

        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x, small)?; // (b, l, 3h)
            let qkv = qkv.reshape((b, l, 3, nh, hd))?.permute((2, 0, 3, 1, 4))?; // (3, b, nh, l, hd)
            let q = (qkv.get(0)?.contiguous()? * scale)?;
            let k = qkv.get(1)?.contiguous()?;
            let v = qkv.get(2)?.contiguous()?;
            let scores = q.matmul(&k.t()?)?.broadcast_add(&bias)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, l, h))?;
            let attn = layer.out.forward(&ctx, small)?;
            x = layer.attn_norm.forward(&(x + attn)?)?;
            let mid = layer.ffn_in.forward(&x, small)?.gelu_erf()?;
            let ff = layer.ffn_out.forward(&mid, small)?;
            x = layer.out_norm.forward(&(x + ff)?)?;
        }
        // mean over the real tokens of each window
        let summed = x.broadcast_mul(&mask_t.unsqueeze(2)?)?.sum(1)?; // (b, h)
        let counts = mask_t.sum_keepdim(1)?; // (b, 1)
        let mean = summed.broadcast_div(&counts)?;
        mean.to_vec2::<f32>()
    }
}
