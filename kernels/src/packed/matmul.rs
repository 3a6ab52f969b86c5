//! x · Wᵀ on rayon's pool. Each task owns a tile of output features (weight rows); each weight
//! row is used for all n activation rows while it sits in L1, so a batch of n reads the weights
//! from memory once rather than n times.

use anyhow::{Result, ensure};
use rayon::prelude::*;

use super::dot::Kernel;
use super::matrix::PackedMatrix;
use super::quantize::{ActFormat, Activations};

/// Weight rows per task: 20 KiB of Int8 at 640 columns; the LM head splits into 8192 tiles, which
/// rayon's work stealing balances, and a 2048-row layer still into 64.
const TILE: usize = 32;

/// `[n, rows]` outputs; `n` ≥ 1 rows of activations.
fn tiled(w: &PackedMatrix, x: &Activations, n: usize, kernel: Kernel) -> Vec<f32> {
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

impl PackedMatrix {
    /// `x` (row-major `[n, cols]`) · Wᵀ → row-major `[n, rows]`, on rayon's global pool.
    /// Activations are quantized per block to int8 first (see the module docs), so each output
    /// is off by at most Σ_blocks (x_scale / 2) · Σ |w| from the exact product with the
    /// dequantized weights, plus f32 rounding. Errors if `x.len() != n · cols`, or if
    /// [`KERNEL_ENV`] names a kernel this CPU lacks ([`Kernel::selected`]).
    pub fn matmul(&self, x: &[f32], n: usize) -> Result<Vec<f32>> {
        self.matmul_with(x, n, Kernel::selected()?)
    }

    /// [`PackedMatrix::matmul`] with a given kernel.
    pub fn matmul_with(&self, x: &[f32], n: usize, kernel: Kernel) -> Result<Vec<f32>> {
        let [out] = Self::matmul_each_with([self], x, n, kernel)?;
        Ok(out)
    }

    /// `x · Wᵀ` for matrices that share their input `x` (`[n, cols]`, the same cols): `x` is
    /// quantized once for each activation format among them, not once per matrix.
    pub fn matmul_each<const N: usize>(
        ws: [&Self; N],
        x: &[f32],
        n: usize,
    ) -> Result<[Vec<f32>; N]> {
        Self::matmul_each_with(ws, x, n, Kernel::selected()?)
    }

    fn matmul_each_with<const N: usize>(
        ws: [&Self; N],
        x: &[f32],
        n: usize,
        kernel: Kernel,
    ) -> Result<[Vec<f32>; N]> {
        for w in ws {
            ensure!(
                n.checked_mul(w.cols) == Some(x.len()),
                "{} activations for [{n}, {}]",
                x.len(),
                w.cols
            );
            ensure!(
                n.checked_mul(w.rows).is_some(),
                "[{n}, {}] output is too large",
                w.rows
            );
        }
        let mut quantized: Vec<((ActFormat, bool), Activations)> = Vec::new();
        Ok(ws.map(|w| {
            if n == 0 {
                return vec![];
            }
            let key = (w.format.activations(), kernel.wants_lanes(w.format, n));
            let i = match quantized.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    quantized.push((key, kernel.quantize(x, w.cols, key.0, key.1)));
                    quantized.len() - 1
                }
            };
            tiled(w, &quantized[i].1, n, kernel)
        }))
    }
}
