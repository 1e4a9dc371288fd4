//! Q8_0 matrix × f32 activations with AVX-512 VNNI.
//!
//! Why our own kernel: decoding one token is dominated by Q8_0 matrices
//! (Gemma 3's 262k-row output head, and the Q5_0 matrices we convert to
//! Q8_0), and candle runs Q8_0 with 256-bit AVX2 code unless the row length
//! is a multiple of 256, which Gemma's 640 is not. Its AVX-512 path would
//! also quantise activations in 256-wide blocks, which drifts further from
//! llama.cpp than the 32-wide Q8_0 blocks used here.
//!
//! Numerics are ggml's: activations are quantised per 32 values to int8
//! (scale = max|x| / 127, round half to even), each block's integer dot
//! product is scaled by `d_weight · d_activation`. Only the float summation
//! order differs.
//!
//! Layout: weights are stored `w + 128` as u8 (so `vpdpbusd`, which
//! multiplies unsigned by signed bytes, takes them directly; the `+128`
//! bias is removed with one per-activation correction reused by every
//! row), two blocks per 64-byte step, their 4-byte groups interleaved so
//! that even 32-bit lanes belong to the first block and odd lanes to the
//! second; scales stay f16. Without AVX-512 VNNI a portable loop computes
//! the same values.

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use half::f16;

const QK: usize = 32;
/// Weight rows per parallel work item.
const TILE_ROWS: usize = 128;

pub struct Q8Matrix {
    n: usize,
    k: usize,
    /// Blocks per row rounded up to an even number (a zero block pads odd counts).
    blocks: usize,
    /// n × blocks × 32 bytes, `w + 128`, pair-interleaved.
    qs: Vec<u8>,
    /// n × blocks f16 scales.
    d: Vec<f16>,
}

/// Byte position, inside a 64-byte pair, of element `j` of block `b` (0 or 1).
#[inline]
fn pair_pos(b: usize, j: usize) -> usize {
    (j / 4) * 8 + b * 4 + j % 4
}

/// One activation row quantised and laid out like the weights.
struct QuantRow {
    /// blocks × 32 signed values, pair-interleaved
    qs: Vec<i8>,
    /// per block
    d: Vec<f32>,
    /// per pair: the 16 lanes of −128·Σa (removes the weights' +128 bias)
    correction: Vec<i32>,
}

impl Q8Matrix {
    /// Repack a Q8_0 tensor of shape (n, k); `None` for other types.
    pub fn from_qtensor(t: &QTensor) -> candle_core::Result<Option<Self>> {
        if t.dtype() != GgmlDType::Q8_0 {
            return Ok(None);
        }
        let (n, k) = t.shape().dims2()?;
        if k % QK != 0 {
            return Ok(None);
        }
        let kb = k / QK;
        let blocks = kb + kb % 2;
        let data = t.data()?;
        let mut qs = vec![128u8; n * blocks * QK];
        let mut d = vec![f16::ZERO; n * blocks];
        for (r, row) in data.chunks_exact(kb * 34).enumerate() {
            for (b, block) in row.chunks_exact(34).enumerate() {
                d[r * blocks + b] = f16::from_le_bytes([block[0], block[1]]);
                let base = r * blocks * QK + (b / 2) * 64;
                for j in 0..QK {
                    qs[base + pair_pos(b % 2, j)] = (block[2 + j] as i8 as i16 + 128) as u8;
                }
            }
        }
        Ok(Some(Self {
            n,
            k,
            blocks,
            qs,
            d,
        }))
    }

    /// Row `r` dequantised (embedding lookup for tied embeddings).
    pub fn row(&self, r: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.k];
        for (b, chunk) in out.chunks_exact_mut(QK).enumerate() {
            let d = self.d[r * self.blocks + b].to_f32();
            let base = r * self.blocks * QK + (b / 2) * 64;
            for (j, o) in chunk.iter_mut().enumerate() {
                *o = (self.qs[base + pair_pos(b % 2, j)] as i32 - 128) as f32 * d;
            }
        }
        out
    }

    /// Rows of the matrix for each token id, shape (ids, k).
    pub fn embedding(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
        let mut data = Vec::with_capacity(ids.len() * self.k);
        for &id in ids {
            if id as usize >= self.n {
                candle_core::bail!("token id {id} outside the vocabulary of {}", self.n);
            }
            data.extend(self.row(id as usize));
        }
        Tensor::from_vec(data, (ids.len(), self.k), &Device::Cpu)
    }

    fn quantize_row(&self, x: &[f32]) -> QuantRow {
        let mut qs = vec![0i8; self.blocks * QK];
        let mut d = vec![0f32; self.blocks];
        for (b, chunk) in x.chunks_exact(QK).enumerate() {
            let amax = chunk.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = amax / 127.0;
            let inv = if scale != 0.0 { 1.0 / scale } else { 0.0 };
            d[b] = scale;
            let base = (b / 2) * 64;
            for (j, v) in chunk.iter().enumerate() {
                qs[base + pair_pos(b % 2, j)] =
                    (v * inv).round_ties_even().clamp(-127.0, 127.0) as i8;
            }
        }
        let mut correction = vec![0i32; self.blocks / 2 * 16];
        for (p, lanes) in correction.chunks_exact_mut(16).enumerate() {
            for (lane, c) in lanes.iter_mut().enumerate() {
                let s: i32 = qs[p * 64 + lane * 4..p * 64 + lane * 4 + 4]
                    .iter()
                    .map(|&v| v as i32)
                    .sum();
                *c = -128 * s;
            }
        }
        QuantRow { qs, d, correction }
    }

    /// `x` (m × k, row-major) times the matrix transposed: m × n.
    pub fn matmul_rows(&self, x: &[f32], m: usize) -> Vec<f32> {
        debug_assert_eq!(x.len(), m * self.k);
        let acts: Vec<QuantRow> = x
            .chunks_exact(self.k)
            .map(|r| self.quantize_row(r))
            .collect();
        let vnni = has_vnni();
        let n = self.n;
        let mut out = vec![0f32; m * n];
        let dst = SharedOut(out.as_mut_ptr());
        // candle's own thread pool: a second pool (rayon) would compete with
        // candle's spinning workers for the same cores.
        candle_core::utils::barrier_pool().execute_chunked(n.div_ceil(TILE_ROWS), |tiles| {
            let mut buf = [0f32; TILE_ROWS];
            for t in tiles {
                let rows = t * TILE_ROWS..((t + 1) * TILE_ROWS).min(n);
                let len = rows.len();
                for (i, a) in acts.iter().enumerate() {
                    if vnni {
                        // SAFETY: `has_vnni` checked the CPU features the kernel is compiled for.
                        unsafe { self.dot_rows_vnni(rows.clone(), a, &mut buf[..len]) }
                    } else {
                        self.dot_rows_portable(rows.clone(), a, &mut buf[..len])
                    }
                    // SAFETY: each (activation row, weight-row tile) pair is
                    // written by exactly one work item, inside `out`.
                    unsafe {
                        std::ptr::copy_nonoverlapping(buf.as_ptr(), dst.at(i * n + rows.start), len)
                    }
                }
            }
        });
        out
    }

    /// Candle-facing matmul: `x` of shape (…, k) → (…, n).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dims = x.dims().to_vec();
        let (&k, lead) = dims
            .split_last()
            .ok_or_else(|| candle_core::Error::Msg("scalar input".into()))?;
        if k != self.k {
            candle_core::bail!("matmul: input has {k} columns, matrix expects {}", self.k);
        }
        let m: usize = lead.iter().product();
        let flat = x.flatten_all()?.to_vec1::<f32>()?;
        let out = self.matmul_rows(&flat, m);
        let mut shape = lead.to_vec();
        shape.push(self.n);
        Tensor::from_vec(out, shape, &Device::Cpu)
    }

    fn dot_rows_portable(&self, rows: std::ops::Range<usize>, a: &QuantRow, out: &mut [f32]) {
        let row_bytes = self.blocks * QK;
        for (o, r) in out.iter_mut().zip(rows) {
            let w = &self.qs[r * row_bytes..(r + 1) * row_bytes];
            let mut sum = 0f32;
            for b in 0..self.blocks {
                let base = (b / 2) * 64;
                let mut isum = 0i32;
                for j in 0..QK {
                    let pos = base + pair_pos(b % 2, j);
                    isum += (w[pos] as i32 - 128) * a.qs[pos] as i32;
                }
                sum += self.d[r * self.blocks + b].to_f32() * a.d[b] * isum as f32;
            }
            *o = sum;
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx512dq,f16c")]
    unsafe fn dot_rows_vnni(&self, rows: std::ops::Range<usize>, a: &QuantRow, out: &mut [f32]) {
        use std::arch::x86_64::*;
        let pairs = self.blocks / 2;
        let row_bytes = self.blocks * QK;
        // SAFETY (all loads below): every index stays inside `qs`, `d`, `a.qs`,
        // `a.correction` and `a.d`, whose lengths follow from `blocks` and `n`.
        unsafe {
            for (o, r) in out.iter_mut().zip(rows) {
                let w = self.qs.as_ptr().add(r * row_bytes);
                let dw = self.d.as_ptr().add(r * self.blocks) as *const i32;
                let mut acc = _mm512_setzero_ps();
                for p in 0..pairs {
                    let wv = _mm512_loadu_si512(w.add(p * 64) as *const __m512i);
                    let av = _mm512_loadu_si512(a.qs.as_ptr().add(p * 64) as *const __m512i);
                    let corr =
                        _mm512_loadu_si512(a.correction.as_ptr().add(p * 16) as *const __m512i);
                    let dot = _mm512_dpbusd_epi32(corr, wv, av);
                    // [dw0, dw1] → f32 pair, times [da0, da1], broadcast as even/odd lanes
                    let dwp = _mm_cvtph_ps(_mm_cvtsi32_si128(dw.add(p).read_unaligned()));
                    let dap = _mm_castsi128_ps(_mm_loadl_epi64(
                        a.d.as_ptr().add(2 * p) as *const __m128i
                    ));
                    let scale = _mm512_broadcast_f32x2(_mm_mul_ps(dwp, dap));
                    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc);
                }
                *o = _mm512_reduce_add_ps(acc);
            }
        }
    }
}

/// The output buffer shared by the pool's workers, each writing its own cells.
struct SharedOut(*mut f32);
// SAFETY: workers write disjoint ranges (see `matmul_rows`).
unsafe impl Sync for SharedOut {}
impl SharedOut {
    fn at(&self, offset: usize) -> *mut f32 {
        // SAFETY: callers stay inside the buffer.
        unsafe { self.0.add(offset) }
    }
}

fn has_vnni() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("f16c")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Module;
    use candle_core::quantized::QMatMul;

    fn data(n: usize, k: usize, seed: u32) -> Vec<f32> {
        (0..n * k)
            .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    }

    /// Same values as candle's own Q8_0 matmul, odd block counts and m > 1 included.
    #[test]
    fn matches_candle_q8_0_matmul() {
        let dev = Device::Cpu;
        for (n, k, m) in [(37, 640, 1), (64, 96, 3), (130, 576, 5)] {
            let w = Tensor::from_vec(data(n, k, 7), (n, k), &dev).unwrap();
            let q = QTensor::quantize(&w, GgmlDType::Q8_0).unwrap();
            let ours = Q8Matrix::from_qtensor(&q).unwrap().unwrap();
            let x = Tensor::from_vec(data(m, k, 99), (m, k), &dev).unwrap();
            let want = QMatMul::from_qtensor(q)
                .unwrap()
                .forward(&x)
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            let got = ours.forward(&x).unwrap().to_vec2::<f32>().unwrap();
            let flat = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            for (vnni, got) in [
                (true, got),
                (false, {
                    let acts: Vec<QuantRow> =
                        flat.chunks_exact(k).map(|r| ours.quantize_row(r)).collect();
                    acts.iter()
                        .map(|a| {
                            let mut o = vec![0f32; n];
                            ours.dot_rows_portable(0..n, a, &mut o);
                            o
                        })
                        .collect::<Vec<_>>()
                }),
            ] {
                for (gr, wr) in got.iter().zip(&want) {
                    for (g, w) in gr.iter().zip(wr) {
                        assert!(
                            (g - w).abs() < 5e-3 * w.abs().max(1.0),
                            "vnni={vnni} n={n} k={k}: {g} vs {w}"
                        );
                    }
                }
            }
            for r in [0, n / 2, n - 1] {
                let deq = w.get(r).unwrap().to_vec1::<f32>().unwrap();
                for (a, b) in ours.row(r).iter().zip(&deq) {
                    assert!((a - b).abs() < 0.01, "row {r}: {a} vs {b}");
                }
            }
        }
    }
}
