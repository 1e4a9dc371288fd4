//! Exact conversions between GGML integer block formats.
//!
//! A Q4_0 or Q5_0 weight is `d·q` with a small integer `q`; a Q8_0 block
//! with the same scale holds the same values exactly. We convert to Q8_0
//! because that is the format with fast kernels (`q8`).

use candle_core::quantized::GgmlDType;

/// Bytes of one Q8_0 block (f16 scale + 32 int8).
pub const Q8_0_BLOCK_BYTES: usize = 34;

/// A whole run of Q4_0 or Q5_0 blocks rewritten as Q8_0 blocks (exact);
/// `None` for types with no exact Q8_0 form.
pub fn widen_to_q8_0(dtype: GgmlDType, data: &[u8]) -> Option<Vec<u8>> {
    let convert: fn(&[u8], &mut [u8]) = match dtype {
        GgmlDType::Q5_0 => q5_0_block_to_q8_0,
        GgmlDType::Q4_0 => q4_0_block_to_q8_0,
        _ => return None,
    };
    let src_block = dtype.type_size();
    let mut out = vec![0u8; data.len() / src_block * Q8_0_BLOCK_BYTES];
    for (src, dst) in data
        .chunks_exact(src_block)
        .zip(out.chunks_exact_mut(Q8_0_BLOCK_BYTES))
    {
        convert(src, dst);
    }
    Some(out)
}

/// Q5_0 block (f16 d, u32 high bits, 16 bytes of low nibbles) → Q8_0 block
/// (f16 d, 32 × i8): same scale, q − 16 as the int8.
pub fn q5_0_block_to_q8_0(src: &[u8], dst: &mut [u8]) {
    dst[0] = src[0];
    dst[1] = src[1];
    let qh = u32::from_le_bytes([src[2], src[3], src[4], src[5]]);
    for j in 0..16 {
        let q = src[6 + j];
        let h0 = (((qh >> j) << 4) & 0x10) as u8;
        let h1 = ((qh >> (j + 12)) & 0x10) as u8;
        dst[2 + j] = (((q & 0x0f) | h0) as i8 - 16) as u8;
        dst[2 + j + 16] = (((q >> 4) | h1) as i8 - 16) as u8;
    }
}

/// Q4_0 block (f16 d, 16 bytes of nibbles) → Q8_0 block: q − 8 as the int8.
pub fn q4_0_block_to_q8_0(src: &[u8], dst: &mut [u8]) {
    dst[0] = src[0];
    dst[1] = src[1];
    for j in 0..16 {
        let q = src[2 + j];
        dst[2 + j] = ((q & 0x0f) as i8 - 8) as u8;
        dst[2 + j + 16] = ((q >> 4) as i8 - 8) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_core::Tensor;
    use candle_core::quantized::{QTensor, ggml_file::qtensor_from_ggml};

    fn roundtrip(dtype: GgmlDType) {
        let dev = Device::Cpu;
        let values: Vec<f32> = (0..256)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        let t = Tensor::from_vec(values, (4, 64), &dev).unwrap();
        let q = QTensor::quantize(&t, dtype).unwrap();
        let want = q
            .dequantize(&dev)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let out = widen_to_q8_0(dtype, &q.data().unwrap()).unwrap();
        let q8 = qtensor_from_ggml(GgmlDType::Q8_0, &out, vec![4, 64], &dev).unwrap();
        let got = q8
            .dequantize(&dev)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(want, got, "{dtype:?} → Q8_0 must be exact");
    }

    #[test]
    fn q5_0_to_q8_0_is_exact() {
        roundtrip(GgmlDType::Q5_0);
    }

    #[test]
    fn q4_0_to_q8_0_is_exact() {
        roundtrip(GgmlDType::Q4_0);
    }
}
