//! The reference float order of a row dot, shared by the scalar and AVX2 kernels: each block's
//! exact i32 sum is scaled into lane `b mod LANES` of f32 sums ([`term`]), which [`sum_lanes`]
//! adds up in a fixed order; and the scalar kernel itself.

use half::f16;

use super::act_row::ActRow;
use super::format::{GROUP, PackedFormat};

/// The loop of a kernel's `tile` around a kernel's one-row dot product. Each weight row meets every
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
pub(super) fn scalar<const R: usize>(
    format: PackedFormat,
    w: &[u8],
    w_scales: &[f16],
    x: ActRow,
) -> f32 {
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
