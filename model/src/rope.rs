//! Rotary position embedding, the non-interleaved ("rotate_half") form HF uses for Gemma.
//!
//! Gemma 3 has two bases: θ = 10 000 on sliding layers and 1 000 000 on global ones.

use burn::prelude::*;
use burn::tensor::DType;

/// Inverse frequencies of one RoPE base, computed in float32 as transformers does.
#[derive(Clone, Debug)]
pub struct Rope {
    inv_freq: Vec<f32>,
    /// Linear position scaling (positions are divided by it).
    scaling: f32,
}

/// `cos` and `sin` for a batch of positions, each `[batch, 1, seq, head_dim]`.
#[derive(Clone, Debug)]
pub struct RopeTables {
    pub cos: Tensor<4>,
    pub sin: Tensor<4>,
}

impl Rope {
    pub fn new(head_dim: usize, theta: f64, scaling: f64) -> Self {
        let base = theta as f32;
        let inv_freq = (0..head_dim / 2)
            .map(|i| 1.0 / base.powf((2 * i) as f32 / head_dim as f32))
            .collect();
        Self {
            inv_freq,
            scaling: scaling as f32,
        }
    }

    /// Tables for `positions[b][t]` (every row the same length), computed in f32 and stored in
    /// `dtype`.
    pub fn tables(&self, positions: &[Vec<usize>], device: &Device, dtype: DType) -> RopeTables {
        let (b, t, half) = (positions.len(), positions[0].len(), self.inv_freq.len());
        let mut cos = Vec::with_capacity(b * t * half * 2);
        let mut sin = Vec::with_capacity(b * t * half * 2);
        for &p in positions.iter().flatten() {
            let p = p as f32 / self.scaling;
            let freqs = self.inv_freq.iter().map(|f| p * f);
            // emb = cat(freqs, freqs): the two halves share frequencies.
            let row: Vec<f32> = freqs.clone().chain(freqs).collect();
            cos.extend(row.iter().map(|x| x.cos()));
            sin.extend(row.iter().map(|x| x.sin()));
        }
        let shape = [b, 1, t, half * 2];
        RopeTables {
            cos: Tensor::from_data(TensorData::new(cos, shape), (device, dtype)),
            sin: Tensor::from_data(TensorData::new(sin, shape), (device, dtype)),
        }
    }
}

impl RopeTables {
    /// Rotates `x: [batch, heads, seq, head_dim]`.
    pub fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, h, t, d] = x.dims();
        let x1 = x.clone().slice([0..b, 0..h, 0..t, 0..d / 2]);
        let x2 = x.clone().slice([0..b, 0..h, 0..t, d / 2..d]);
        let rotated = Tensor::cat(vec![x2.neg(), x1], 3);
        x * self.cos.clone() + rotated * self.sin.clone()
    }
}
