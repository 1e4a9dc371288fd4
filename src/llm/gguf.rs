//! GGUF access: metadata lookups and weight loading for the decoder.
//!
//! Weights stay quantised (`QTensor`). One conversion happens at load:
//! Q5_0 and Q4_0 blocks are rewritten as Q8_0 blocks with the same scale —
//! exact, since a Q5_0/Q4_0 weight is `d·q` with a small integer `q` that an
//! int8 holds — because candle has SIMD kernels for Q8_0 and only scalar
//! loops for Q5_0. Gemma 3's Q/K/gate/up matrices are Q5_0, so this is the
//! difference between a fast and a slow decode.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::Device;
use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{GgmlDType, QTensor, ggml_file::qtensor_from_ggml};

use super::LlmError;
use crate::quant::blocks;

pub struct Gguf {
    pub path: PathBuf,
    content: Content,
    reader: BufReader<File>,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> LlmError {
    LlmError::Open(format!("{}: {e}", path.display()))
}

impl Gguf {
    pub fn open(path: &Path) -> Result<Self, LlmError> {
        let file = File::open(path).map_err(|e| io_err(path, e))?;
        let mut reader = BufReader::new(file);
        let content = Content::read(&mut reader)
            .map_err(|e| io_err(path, format!("not a GGUF file ({e})")))?;
        Ok(Self {
            path: path.to_path_buf(),
            content,
            reader,
        })
    }

    pub fn metadata(&self) -> &HashMap<String, Value> {
        &self.content.metadata
    }

    pub fn tensor_names(&self) -> impl Iterator<Item = &String> {
        self.content.tensor_infos.keys()
    }

    pub fn has_tensor(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.content.metadata.get(key)
    }

    pub fn string(&self, key: &str) -> Result<String, LlmError> {
        match self.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(LlmError::Format(format!(
                "{key}: expected a string, found {v:?}"
            ))),
            None => Err(LlmError::Format(format!("missing metadata {key}"))),
        }
    }

    /// Any integer-typed metadata value as usize.
    pub fn usize_opt(&self, key: &str) -> Option<usize> {
        let v = self.get(key)?;
        let n: i64 = match v {
            Value::U8(x) => *x as i64,
            Value::I8(x) => *x as i64,
            Value::U16(x) => *x as i64,
            Value::I16(x) => *x as i64,
            Value::U32(x) => *x as i64,
            Value::I32(x) => *x as i64,
            Value::U64(x) => *x as i64,
            Value::I64(x) => *x,
            _ => return None,
        };
        usize::try_from(n).ok()
    }

    pub fn usize(&self, key: &str) -> Result<usize, LlmError> {
        self.usize_opt(key)
            .ok_or_else(|| LlmError::Format(format!("missing or invalid metadata {key}")))
    }

    pub fn f32_opt(&self, key: &str) -> Option<f32> {
        match self.get(key)? {
            Value::F32(x) => Some(*x),
            Value::F64(x) => Some(*x as f32),
            _ => None,
        }
    }

    pub fn bool_opt(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn strings(&self, key: &str) -> Result<Vec<String>, LlmError> {
        match self.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(LlmError::Format(format!("{key}: non-string element"))),
                })
                .collect(),
            _ => Err(LlmError::Format(format!("missing metadata array {key}"))),
        }
    }

    pub fn f32s(&self, key: &str) -> Option<Vec<f32>> {
        match self.get(key)? {
            Value::Array(a) => a
                .iter()
                .map(|v| match v {
                    Value::F32(x) => Some(*x),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    pub fn i32s(&self, key: &str) -> Option<Vec<i32>> {
        match self.get(key)? {
            Value::Array(a) => a
                .iter()
                .map(|v| match v {
                    Value::I32(x) => Some(*x),
                    Value::U32(x) => Some(*x as i32),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// Load one tensor, converting integer-block types without SIMD kernels
    /// to the equivalent Q8_0 blocks (see the module comment).
    pub fn tensor(&mut self, name: &str) -> Result<QTensor, LlmError> {
        let t = self
            .content
            .tensor(&mut self.reader, name, &Device::Cpu)
            .map_err(|e| LlmError::Format(format!("tensor {name}: {e}")))?;
        if !matches!(t.dtype(), GgmlDType::Q4_0 | GgmlDType::Q5_0) {
            return Ok(t);
        }
        let data = t
            .data()
            .map_err(|e| LlmError::Format(format!("tensor {name}: {e}")))?;
        let out = blocks::widen_to_q8_0(t.dtype(), &data).expect("Q4_0 and Q5_0 widen to Q8_0");
        qtensor_from_ggml(
            GgmlDType::Q8_0,
            &out,
            t.shape().dims().to_vec(),
            &Device::Cpu,
        )
        .map_err(|e| LlmError::Format(format!("tensor {name}: {e}")))
    }
}
