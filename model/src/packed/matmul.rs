//! x · Wᵀ on rayon's pool. Each task owns a tile of output features (weight rows); each weight
//! row is used for all n activation rows while it sits in L1, so a batch of n reads the weights
//! from memory once rather than n times.

use super::PackedMatrix;
use super::dot::Kernel;
use super::quantize::Activations;
use rayon::prelude::*;

/// Weight rows per task: 20 KiB of Int8 at 640 columns; the LM head splits into 8192 tiles, which
/// rayon's work stealing balances, and a 2048-row layer still into 64.
const TILE: usize = 32;

/// `[n, rows]` outputs; `n` ≥ 1 rows of activations.
pub(super) fn matmul(w: &PackedMatrix, x: &Activations, n: usize, kernel: Kernel) -> Vec<f32> {
    let rows = w.rows;
    let mut out = vec![0.0f32; n * rows];
    // Regroup the n output rows' TILE-wide windows tile by tile, so a task owns its [n, TILE]
    // window of `out` without sharing mutable memory.
    let mut windows: Vec<_> = out.chunks_mut(rows).map(|r| r.chunks_mut(TILE)).collect();
    let mut tiles = Vec::with_capacity(n * rows.div_ceil(TILE));
    for _ in 0..rows.div_ceil(TILE) {
        tiles.extend(windows.iter_mut().filter_map(Iterator::next));
    }
    let lanes = x.lanes();
    let x: Vec<_> = (0..n).map(|i| x.row(i)).collect();
    let (row_bytes, scales) = (w.format.row_bytes(w.cols), w.format.row_scales(w.cols));
    tiles.par_chunks_mut(n).enumerate().for_each(|(t, outs)| {
        let rows = t * TILE..((t + 1) * TILE).min(rows);
        let wq = &w.quants[rows.start * row_bytes..rows.end * row_bytes];
        let ws = &w.scales[rows.start * scales..rows.end * scales];
        kernel.tile(w.format, wq, ws, &x, lanes, outs)
    });
    out
}
