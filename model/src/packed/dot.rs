//! Dot products of packed weight rows with quantized activation rows.
//!
//! Per block b, the exact integer Σ w·x (`dot_b`) is scaled into f32 as
//! `dot_b · (w_scale_b · x_scale_b)` ([`term`]) and added to lane `b mod LANES` of [`LANES`] f32
//! sums, which [`sum_lanes`] adds up in a fixed order. The SIMD kernel evaluates exactly these
//! operations (lane l of its vector accumulator is lane l here), so both paths give bit-identical
//! outputs and the scalar one is the reference.

use super::format::{GROUP, PackedFormat};
use super::quantize::{ActRow, Activations};
use half::f16;

#[cfg(target_arch = "x86_64")]
use super::avx2::Avx2;

/// The implementation; chosen once per matmul.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kernel {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(token) = Avx2::detect() {
            return Self::Avx2(token);
        }
        Self::Scalar
    }

    /// Quantizes activation rows `[n, cols]` per block (the same values on every kernel).
    pub fn quantize(self, x: &[f32], cols: usize, block: usize) -> Activations {
        match self {
            Kernel::Scalar => Activations::quantize(x, cols, block),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(t) => t.quantize(x, cols, block),
        }
    }

    /// `outs[i][r]` = Σ w_r·x_i for the weight rows of a tile (`w`: their quantized bytes,
    /// `w_scales`: their block scales) and every activation row `x[i]`.
    pub fn tile(
        self,
        format: PackedFormat,
        w: &[u8],
        w_scales: &[f16],
        x: &[ActRow],
        outs: &mut [&mut [f32]],
    ) {
        // Monomorphize per runs of 32 per block so the per-block loops have constant trip counts.
        fn run<const R: usize>(
            kernel: Kernel,
            format: PackedFormat,
            w: &[u8],
            w_scales: &[f16],
            x: &[ActRow],
            outs: &mut [&mut [f32]],
        ) {
            match kernel {
                Kernel::Scalar => for_each_dot(format, w, w_scales, x, outs, |w, ws, x| {
                    scalar::<R>(format, w, ws, x)
                }),
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx2(t) => t.tile::<R>(format, w, w_scales, x, outs),
            }
        }
        match format.block() / GROUP {
            1 => run::<1>(self, format, w, w_scales, x, outs),
            2 => run::<2>(self, format, w, w_scales, x, outs),
            _ => run::<4>(self, format, w, w_scales, x, outs),
        }
    }
}

/// The loop of [`Kernel::tile`] around a kernel's one-row dot product. Each weight row meets every
/// activation row while it is in L1. Inlined into each kernel so that the SIMD one runs it with
/// its target features.
#[inline(always)]
pub(super) fn for_each_dot(
    format: PackedFormat,
    w: &[u8],
    w_scales: &[f16],
    x: &[ActRow],
    outs: &mut [&mut [f32]],
    row_dot: impl Fn(&[u8], &[f16], ActRow) -> f32,
) {
    let cols = x.first().map_or(0, |x| x.q.len());
    let rows = w
        .chunks_exact(format.row_bytes(cols))
        .zip(w_scales.chunks_exact(cols / format.block()));
    for (r, (w, ws)) in rows.enumerate() {
        for (out, &x) in outs.iter_mut().zip(x) {
            out[r] = row_dot(w, ws, x);
        }
    }
}

/// Blocks per SIMD step: four, so that a 640-wide row (20 blocks of 32, most of Gemma 3 270M's
/// inputs) has no remainder to finish one block at a time.
pub(super) const LANES: usize = 4;

/// One block's contribution to its lane.
#[inline(always)]
pub(super) fn term(dot: i32, w_scale: f16, x_scale: f32) -> f32 {
    dot as f32 * (w_scale.to_f32() * x_scale)
}

#[inline(always)]
pub(super) fn sum_lanes(acc: [f32; LANES]) -> f32 {
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// The reference row dot: unpack each run of 32 levels and multiply out; R runs per block.
fn scalar<const R: usize>(format: PackedFormat, w: &[u8], w_scales: &[f16], x: ActRow) -> f32 {
    let mut acc = [0.0f32; LANES];
    let blocks = w
        .chunks_exact(format.row_bytes(R * GROUP))
        .zip(x.q.chunks_exact(R * GROUP))
        .zip(w_scales.iter().zip(x.scales));
    for (b, ((w, xq), (&w_scale, &x_scale))) in blocks.enumerate() {
        let runs = w
            .chunks_exact(format.row_bytes(GROUP))
            .zip(xq.as_chunks::<GROUP>().0);
        let dot = runs
            .map(|(w, x)| {
                format
                    .levels(w)
                    .iter()
                    .zip(x)
                    .map(|(&w, &x)| w as i32 * x as i32)
                    .sum::<i32>()
            })
            .sum();
        acc[b % LANES] += term(dot, w_scale, x_scale);
    }
    sum_lanes(acc)
}
