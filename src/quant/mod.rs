//! Quantised-weight building blocks shared by the embedding encoder and
//! the LLM: exact block-format conversions and our Q8_0 matmul kernel.

pub mod blocks;
pub mod q8;

pub use q8::Q8Matrix;
