//! The AVX-512 VNNI GEMM of Int8 weights against a batch of activation rows, one token per
//! lane, in the reference's float order (`dot`): the same bits as the scalar and AVX2 kernels.
//!
//! The row-by-row kernels put 16 four-value groups of one output in a vector, so every 64
//! products cost a `vpdpbusd`, a convert, a multiply and an FMA. Here the activations of 16
//! tokens are interleaved four bytes at a time ([`TokenLanes`], once per matmul): one vector holds
//! the same four columns of 16 tokens, a weight row's four bytes are broadcast to it (a load, no
//! arithmetic), and one `vpdpbusd` adds four products into each token's lane. A block's exact i32
//! dot then takes a subtract, a convert, two multiplies and an add per 16 outputs: 32 values × 16
//! tokens, 8 `vpdpbusd`.
//!
//! `vpdpbusd` multiplies unsigned by signed bytes: the activations are stored offset by 128
//! (their sign bit flipped), and each block takes back 128·Σw of its weight row's block, so the
//! dot is exact. Each output then adds `dot · (w_scale · x_scale)` to f32 lane `b mod 4` and sums
//! the lanes as `(l0 + l2) + (l1 + l3)`, as `dot::term` and `dot::sum_lanes` do.

use super::act_row::ActRow;
use half::f16;
use rayon::prelude::*;
use std::arch::x86_64::*;

/// Tokens per vector: 16 lanes of i32.
pub(super) const TOKENS: usize = 16;
/// Batches from this many rows on take this kernel: below it too many lanes would be padding,
/// and the AVX2 kernel gives the same bits.
pub(super) const MIN_ROWS: usize = 4;
/// Weight rows per register block: 16 f32 accumulators (4 lanes each) and 4 i32 ones.
const ROWS: usize = 4;
/// Lanes of the f32 sum per output (`dot::LANES`).
const SUM_LANES: usize = 4;
const _: () = assert!(SUM_LANES == super::reference::LANES);

/// Activation rows `[n, cols]` interleaved for [`int8_tile`], with their block scales.
pub(super) struct TokenLanes {
    /// Per group of 16 tokens, per four columns, the 16 tokens' four levels + 128: `[groups,
    /// cols / 4, 16, 4]`. Tokens past n are padding (level 0, stored 128).
    q: Vec<u8>,
    /// `[groups, blocks, 16]`: each block's scale per token (0 for padding).
    scales: Vec<f32>,
    cols: usize,
    blocks: usize,
}

impl TokenLanes {
    /// From `n` rows of levels `q` (`[n, cols]`) and scales (`[n, cols / block]`), a task per
    /// group of 16 tokens on rayon's pool.
    pub(super) fn new(q: &[i8], scales: &[f32], n: usize, cols: usize, block: usize) -> Self {
        let (groups, blocks) = (n.div_ceil(TOKENS), cols / block);
        let mut lanes = Self {
            q: vec![128; groups * cols * TOKENS],
            scales: vec![0.0; groups * blocks * TOKENS],
            cols,
            blocks,
        };
        lanes
            .q
            .par_chunks_mut(cols * TOKENS)
            .zip(lanes.scales.par_chunks_mut(blocks * TOKENS))
            .zip(
                q.par_chunks(cols * TOKENS)
                    .zip(scales.par_chunks(blocks * TOKENS)),
            )
            .for_each(|((out, out_scales), (q, scales))| {
                let rows = q.chunks_exact(cols).zip(scales.chunks_exact(blocks));
                for (t, (q, scales)) in rows.enumerate() {
                    for (j, quad) in q.as_chunks::<4>().0.iter().enumerate() {
                        let at = (j * TOKENS + t) * 4;
                        out[at..at + 4].copy_from_slice(&quad.map(|v| (v as u8) ^ 0x80));
                    }
                    for (b, &s) in scales.iter().enumerate() {
                        out_scales[b * TOKENS + t] = s;
                    }
                }
            });
        lanes
    }
}

/// `outs[i][r]` = Σ w_r·x_i for a tile of Int8 weight rows (`w`, block `32 · R` with f16 scales
/// `w_scales`) and every activation row `x`, interleaved in `lanes`.
///
/// # Safety
/// The CPU must have AVX-512 F/BW/VNNI and F16C.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
pub(super) unsafe fn int8_tile<const R: usize>(
    w: &[u8],
    w_scales: &[f16],
    x: &[ActRow],
    lanes: &TokenLanes,
    outs: &mut [&mut [f32]],
) {
    let (cols, blocks) = (lanes.cols, lanes.blocks);
    let block = 32 * R;
    let rows = w.len() / cols;
    // What the raw reads below rely on.
    assert!(blocks * block == cols && w.len() == rows * cols && w_scales.len() == rows * blocks);
    assert!(x.len().div_ceil(TOKENS) * cols * TOKENS == lanes.q.len());
    assert!(outs.len() == x.len() && outs.iter().all(|o| o.len() >= rows));
    // 128·Σw and the f32 scale of each row's blocks, for every token group.
    let offsets: Vec<i32> = w
        .chunks_exact(block)
        .map(|b| 128 * b.iter().map(|&v| v as i8 as i32).sum::<i32>())
        .collect();
    let w_scales: Vec<f32> = w_scales.iter().map(|s| s.to_f32()).collect();
    for (g, outs) in outs.chunks_mut(TOKENS).enumerate() {
        let q = &lanes.q[g * cols * TOKENS..][..cols * TOKENS];
        let xs = &lanes.scales[g * blocks * TOKENS..][..blocks * TOKENS];
        for r0 in (0..rows).step_by(ROWS) {
            let nr = (rows - r0).min(ROWS);
            let mut sums = [[0.0f32; TOKENS]; ROWS];
            let tile = Tile {
                w: &w[r0 * cols..],
                offsets: &offsets[r0 * blocks..],
                scales: &w_scales[r0 * blocks..],
                q,
                xs,
                cols,
                blocks,
            };
            // SAFETY: nr rows of w, offsets and scales from r0 on, and a token group of q and xs.
            unsafe {
                match nr {
                    4 => tile.rows::<R, 4>(&mut sums),
                    3 => tile.rows::<R, 3>(&mut sums),
                    2 => tile.rows::<R, 2>(&mut sums),
                    _ => tile.rows::<R, 1>(&mut sums),
                }
            }
            for (t, out) in outs.iter_mut().enumerate() {
                for (r, sums) in sums.iter().enumerate().take(nr) {
                    out[r0 + r] = sums[t];
                }
            }
        }
    }
}

/// A register block's operands: weight rows from `w` on (with their blocks' offsets and
/// scales), one token group's interleaved levels `q` and scales `xs`.
struct Tile<'a> {
    w: &'a [u8],
    offsets: &'a [i32],
    scales: &'a [f32],
    q: &'a [u8],
    xs: &'a [f32],
    cols: usize,
    blocks: usize,
}

impl Tile<'_> {
    /// `sums[r][t]` for N weight rows and the group's 16 tokens.
    ///
    /// # Safety
    /// The tile must hold N rows; the CPU must have AVX-512 F/BW/VNNI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    unsafe fn rows<const R: usize, const N: usize>(&self, sums: &mut [[f32; TOKENS]; ROWS]) {
        let mut acc = [[_mm512_setzero_ps(); SUM_LANES]; N];
        for b0 in (0..self.blocks).step_by(SUM_LANES) {
            // Unrolled, so that each lane's accumulators stay in registers.
            for (lane, b) in (b0..self.blocks.min(b0 + SUM_LANES)).enumerate() {
                // SAFETY: block b lies inside the tile's rows (the caller's contract).
                let terms = unsafe { self.block::<R, N>(b) };
                for (acc, term) in acc.iter_mut().zip(terms) {
                    acc[lane] = _mm512_add_ps(acc[lane], term);
                }
            }
        }
        for (acc, sums) in acc.iter().zip(sums) {
            let total = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3]));
            // SAFETY: 16 f32 of room.
            unsafe { _mm512_storeu_ps(sums.as_mut_ptr(), total) };
        }
    }

    /// Block b's `dot · (w_scale · x_scale)` for N rows and 16 tokens.
    ///
    /// # Safety
    /// As [`Tile::rows`], and b < blocks.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    unsafe fn block<const R: usize, const N: usize>(&self, b: usize) -> [__m512; N] {
        let quads = 8 * R;
        let (w, q) = (self.w.as_ptr(), self.q.as_ptr());
        let mut dots = [_mm512_setzero_si512(); N];
        for j in b * quads..(b + 1) * quads {
            // SAFETY: quad j of the group's cols / 4, 64 bytes each.
            let xv = unsafe { _mm512_loadu_si512(q.add(j * TOKENS * 4).cast()) };
            for (r, dot) in dots.iter_mut().enumerate() {
                // SAFETY: row r of N, four bytes at column 4j.
                let wv = unsafe { w.add(r * self.cols + 4 * j).cast::<i32>().read_unaligned() };
                *dot = _mm512_dpbusd_epi32(*dot, xv, _mm512_set1_epi32(wv));
            }
        }
        // SAFETY: block b's 16 token scales.
        let xs = unsafe { _mm512_loadu_ps(self.xs.as_ptr().add(b * TOKENS)) };
        let mut terms = [_mm512_setzero_ps(); N];
        for (r, (term, dot)) in terms.iter_mut().zip(dots).enumerate() {
            let at = r * self.blocks + b;
            let exact = _mm512_sub_epi32(dot, _mm512_set1_epi32(self.offsets[at]));
            let scale = _mm512_mul_ps(_mm512_set1_ps(self.scales[at]), xs);
            *term = _mm512_mul_ps(_mm512_cvtepi32_ps(exact), scale);
        }
        terms
    }
}
