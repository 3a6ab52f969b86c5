//! Matmuls on ggml's blocks as a GGUF ships them ([`Shipped`]), on their own integers:
//! - Q8_0 and Q5_0 are held as `Int8 { block: 32 }` levels with the block's own f16 scale (Q5_0's
//!   `q - 16` are exact i8) and run on its kernels, against Q8_0 activations: the integers and
//!   scales of ggml's `vec_dot_q8_0_q8_0` and `vec_dot_q5_0_q8_0`;
//! - Q4_K and Q6_K are dotted per 256-value block against Q8_K activations, as ggml's
//!   `vec_dot_q{4,6}_K_q8_K`: the block's exact i32 Σ scale·Σ q·x (and, for Q4_K, Σ min · bsum),
//!   then `(d · x_d) · Σ − (dmin · x_d) · Σ_min` in f32, block after block.
//!
//! The K-quant loop is plain Rust compiled once per kernel with that kernel's target features
//! (auto-vectorized), so every path does the same operations in the same order and gives the
//! same bits; ggml adds its f32 terms in another order, so results agree with ggml's to f32
//! rounding.

use super::dot::Kernel;
use super::format::{GROUP, K_BLOCK, PackedFormat, Shipped};
use super::quantize::{ActRow, K_SUM};
use crate::gguf::{q4_k_levels, q6_k_levels, scale_min};
use half::f16;

/// `outs[i][r]` = Σ w_r·x_i for a tile of weight rows in `shipped` blocks (`w_scales`: the
/// separate scales of Q8_0 and Q5_0, empty otherwise).
pub(super) fn tile(
    kernel: Kernel,
    shipped: Shipped,
    w: &[u8],
    w_scales: &[f16],
    x: &[ActRow],
    outs: &mut [&mut [f32]],
) {
    match shipped {
        Shipped::Q8_0 | Shipped::Q5_0 => {
            kernel.tile(PackedFormat::Int8 { block: GROUP }, w, w_scales, x, outs)
        }
        Shipped::Q4_K | Shipped::Q6_K => kernel.k_tile(shipped, w, x, outs),
    }
}

/// One K-quant block's integers, unpacked: per run of [`K_SUM`] values a scale and a min.
struct KBlock {
    levels: [i8; K_BLOCK],
    scales: [i32; K_BLOCK / K_SUM],
    /// Q4_K's mins (0 for Q6_K), multiplied by the activations' `bsums`.
    mins: [i32; K_BLOCK / K_SUM],
    d: f32,
    dmin: f32,
}

impl KBlock {
    #[inline(always)]
    fn q4_k(b: &[u8; 144]) -> Self {
        let half = |i: usize| f16::from_le_bytes([b[i], b[i + 1]]).to_f32();
        let pairs: [(u8, u8); 8] = std::array::from_fn(|j| scale_min(j, &b[4..16]));
        Self {
            levels: q4_k_levels(b).map(|q| q as i8),
            // Sub-block j (32 values) is runs 2j and 2j + 1.
            scales: std::array::from_fn(|g| pairs[g / 2].0 as i32),
            mins: std::array::from_fn(|g| pairs[g / 2].1 as i32),
            d: half(0),
            dmin: half(2),
        }
    }

    #[inline(always)]
    fn q6_k(b: &[u8; 210]) -> Self {
        Self {
            levels: q6_k_levels(b),
            scales: std::array::from_fn(|g| b[192 + g] as i8 as i32),
            mins: [0; K_BLOCK / K_SUM],
            d: f16::from_le_bytes([b[208], b[209]]).to_f32(),
            dmin: 0.0,
        }
    }

    /// This block's term against activation block `q` (scale `x_d`, run sums `sums`).
    #[inline(always)]
    fn dot(&self, q: &[i8; K_BLOCK], x_d: f32, sums: &[i32]) -> f32 {
        let (mut total, mut min_total) = (0i32, 0i32);
        let runs = self.levels.as_chunks::<K_SUM>().0.iter();
        for (g, (w, x)) in runs.zip(q.as_chunks::<K_SUM>().0).enumerate() {
            let dot: i32 = w.iter().zip(x).map(|(&w, &x)| w as i32 * x as i32).sum();
            total += self.scales[g] * dot;
            min_total += self.mins[g] * sums[g];
        }
        (self.d * x_d) * total as f32 - (self.dmin * x_d) * min_total as f32
    }
}

/// The K-quant tile: each weight row is unpacked once and meets every activation row. Inlined
/// into each kernel's wrapper, so it is compiled with that kernel's target features.
#[inline(always)]
pub(super) fn k_tile(shipped: Shipped, w: &[u8], x: &[ActRow], outs: &mut [&mut [f32]]) {
    let Some(cols) = x.first().map(|x| x.q.len()) else {
        return;
    };
    let row_bytes = PackedFormat::Shipped(shipped).row_bytes(cols);
    let mut blocks = Vec::with_capacity(cols / K_BLOCK);
    for (r, w) in w.chunks_exact(row_bytes).enumerate() {
        blocks.clear();
        match shipped {
            Shipped::Q4_K => blocks.extend(w.as_chunks::<144>().0.iter().map(KBlock::q4_k)),
            _ => blocks.extend(w.as_chunks::<210>().0.iter().map(KBlock::q6_k)),
        }
        for (out, x) in outs.iter_mut().zip(x) {
            let xq = x.q.as_chunks::<K_BLOCK>().0;
            let sums = x.sums.chunks_exact(K_BLOCK / K_SUM);
            let mut acc = 0.0f32;
            for ((b, q), (&x_d, sums)) in blocks.iter().zip(xq).zip(x.scales.iter().zip(sums)) {
                acc += b.dot(q, x_d, sums);
            }
            out[r] = acc;
        }
    }
}
