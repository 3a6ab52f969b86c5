//! Matmuls on ggml's blocks as a GGUF ships them ([`Shipped`]), on their own integers:
//! - Q8_0 and Q5_0 are held as `Int8 { block: 32 }` levels with the block's own f16 scale (Q5_0's
//!   `q - 16` are exact i8) and run on its kernels, against Q8_0 activations: the integers and
//!   scales of ggml's `vec_dot_q8_0_q8_0` and `vec_dot_q5_0_q8_0`; Q4_0 likewise on Int4's
//!   kernels (`vec_dot_q4_0_q8_0`);
//! - Q4_K and Q6_K are dotted per 256-value block against Q8_K activations, as ggml's
//!   `vec_dot_q{4,6}_K_q8_K`: the block's exact i32 Σ scale·Σ q·x (and, for Q4_K, Σ min · bsum),
//!   then `(d · x_d) · Σ − (dmin · x_d) · Σ_min` in f32, block after block.
//!
//! The K-quant kernels ([`BlockDot`]) differ only in how they compute the exact integer sums; the
//! f32 steps are this file's on every kernel, in the same order, so every path gives the same
//! bits. ggml adds its f32 terms in another order, so results agree with ggml's to f32 rounding.

use super::act_row::ActRow;
use super::format::{K_BLOCK, PackedFormat, Shipped};
use super::quantize::K_SUM;
use gguf::{q4_k_levels, q6_k_levels, scale_min};
use half::f16;

/// Runs of [`K_SUM`] values in a K-quant block.
pub(super) const RUNS: usize = K_BLOCK / K_SUM;

/// One K-quant block's scales, unpacked; its levels stay in the block's bytes, which each
/// [`BlockDot`] reads as unsigned (Q4_K's `q`, Q6_K's `q + 32`, as `_mm256_maddubs_epi16` wants
/// them). Against activation levels `x` with run sums `bsum`, the block's exact integer total is
/// `Σ_g scale_g · (Σ level·x − offset · bsum_g)` (offset: Q6_K's 32, Q4_K's 0), and its min total
/// `Σ_j min_j · (bsum_2j + bsum_2j+1)`.
pub(super) struct KScales {
    /// One per run of [`K_SUM`] values.
    pub(super) scales: [i16; RUNS],
    /// Q4_K's mins, one per 32 values (0 for Q6_K).
    pub(super) mins: [i16; RUNS / 2],
    d: f32,
    dmin: f32,
}

/// What Q6_K adds to its levels to make them unsigned.
pub(super) const Q6_K_OFFSET: i32 = 32;

impl KScales {
    #[inline(always)]
    fn q4_k(b: &[u8; 144]) -> Self {
        let half = |i: usize| f16::from_le_bytes([b[i], b[i + 1]]).to_f32();
        let pairs: [(u8, u8); 8] = std::array::from_fn(|j| scale_min(j, &b[4..16]));
        Self {
            // Sub-block j (32 values) is runs 2j and 2j + 1.
            scales: std::array::from_fn(|g| pairs[g / 2].0 as i16),
            mins: pairs.map(|p| p.1 as i16),
            d: half(0),
            dmin: half(2),
        }
    }

    #[inline(always)]
    fn q6_k(b: &[u8; 210]) -> Self {
        Self {
            scales: std::array::from_fn(|g| b[192 + g] as i8 as i16),
            mins: [0; RUNS / 2],
            d: f16::from_le_bytes([b[208], b[209]]).to_f32(),
            dmin: 0.0,
        }
    }

    /// This block's term from its exact integer totals against an activation block of scale
    /// `x_d`.
    #[inline(always)]
    fn term(&self, (total, min_total): (i32, i32), x_d: f32) -> f32 {
        (self.d * x_d) * total as f32 - (self.dmin * x_d) * min_total as f32
    }
}

/// The integer part of a K-quant dot: the total and min total ([`KScales`]) of one block
/// (`block`: its bytes) against `N` activation blocks `q` with run sums `sums`. Implementations
/// differ only in instructions: the sums are exact.
pub(super) trait BlockDot: Copy {
    fn dots<const N: usize>(
        self,
        shipped: Shipped,
        block: &[u8],
        scales: &KScales,
        q: [&[i8; K_BLOCK]; N],
        sums: [&[i32; RUNS]; N],
    ) -> [(i32, i32); N];
}

/// The reference, in plain Rust, on ggml's own level decoders.
#[derive(Clone, Copy)]
pub(super) struct Scalar;

impl BlockDot for Scalar {
    #[inline(always)]
    fn dots<const N: usize>(
        self,
        shipped: Shipped,
        block: &[u8],
        k: &KScales,
        q: [&[i8; K_BLOCK]; N],
        sums: [&[i32; RUNS]; N],
    ) -> [(i32, i32); N] {
        let levels = match shipped {
            Shipped::Q4_K => q4_k_levels(block.try_into().expect("a Q4_K block")),
            _ => q6_k_levels(block.try_into().expect("a Q6_K block")).map(|q| (q + 32) as u8),
        };
        let offset = if shipped == Shipped::Q6_K {
            Q6_K_OFFSET
        } else {
            0
        };
        std::array::from_fn(|t| {
            let runs = levels
                .as_chunks::<K_SUM>()
                .0
                .iter()
                .zip(q[t].as_chunks::<K_SUM>().0);
            let (mut total, mut min_total) = (0, 0);
            for (g, (w, x)) in runs.enumerate() {
                let dot: i32 = w.iter().zip(x).map(|(&w, &x)| w as i32 * x as i32).sum();
                total += k.scales[g] as i32 * (dot - offset * sums[t][g]);
                min_total += k.mins[g / 2] as i32 * sums[t][g];
            }
            (total, min_total)
        })
    }
}

/// Activation rows per step: each weight block's levels, read once, meet this many.
const GROUP_ROWS: usize = 4;

/// The K-quant tile: each weight row's scales are unpacked once, and the row meets every
/// activation row, [`GROUP_ROWS`] at a time. Each output is its blocks' terms added in block
/// order, whatever the grouping, so a row gives the same bits alone as in a batch. Inlined into
/// each kernel's wrapper, so it is compiled with that kernel's target features.
#[inline(always)]
pub(super) fn k_tile(
    shipped: Shipped,
    w: &[u8],
    x: &[ActRow],
    outs: &mut [&mut [f32]],
    dot: impl BlockDot,
) {
    let Some(cols) = x.first().map(|x| x.q.len()) else {
        return;
    };
    let block_bytes = shipped.block_bytes();
    let row_bytes = PackedFormat::Shipped(shipped).row_bytes(cols);
    let mut scales = Vec::with_capacity(cols / K_BLOCK);
    for (r, w) in w.chunks_exact(row_bytes).enumerate() {
        scales.clear();
        match shipped {
            Shipped::Q4_K => scales.extend(w.as_chunks::<144>().0.iter().map(KScales::q4_k)),
            _ => scales.extend(w.as_chunks::<210>().0.iter().map(KScales::q6_k)),
        }
        let row = Row {
            shipped,
            blocks: w.chunks_exact(block_bytes),
            scales: &scales,
        };
        for (x, outs) in x.chunks(GROUP_ROWS).zip(outs.chunks_mut(GROUP_ROWS)) {
            match x.len() {
                4 => group::<4>(&row, x, outs, r, dot),
                3 => group::<3>(&row, x, outs, r, dot),
                2 => group::<2>(&row, x, outs, r, dot),
                _ => group::<1>(&row, x, outs, r, dot),
            }
        }
    }
}

/// One weight row: its blocks' bytes and their unpacked scales.
struct Row<'a> {
    shipped: Shipped,
    blocks: std::slice::ChunksExact<'a, u8>,
    scales: &'a [KScales],
}

/// Output `r` of `N` activation rows.
#[inline(always)]
fn group<const N: usize>(
    row: &Row,
    x: &[ActRow],
    outs: &mut [&mut [f32]],
    r: usize,
    dot: impl BlockDot,
) {
    let mut acc = [0.0f32; N];
    for (i, (b, s)) in row.blocks.clone().zip(row.scales).enumerate() {
        let q = std::array::from_fn(|t| &x[t].q.as_chunks().0[i]);
        let sums = std::array::from_fn(|t| &x[t].sums.as_chunks().0[i]);
        let totals = dot.dots::<N>(row.shipped, b, s, q, sums);
        for (t, (acc, totals)) in acc.iter_mut().zip(totals).enumerate() {
            *acc += s.term(totals, x[t].scales[i]);
        }
    }
    for (out, acc) in outs.iter_mut().zip(acc) {
        out[r] = acc;
    }
}
