//! Rounding f32 values to blocks of small integers: weights once, at load time (f16 scales, see
//! `format`), activations on every matmul (i8 with an f32 scale per block, like ggml's Q8_0/Q8_1
//! but with the scale kept at full precision since it is never stored; for the shipped ggml
//! types, exactly as ggml quantizes them, see [`ActFormat`]).

use super::act_row::ActRow;
use super::format::{GROUP, K_BLOCK, MAX_BLOCK, PackedFormat, Shipped, block_scale, pack_int4};
use anyhow::{Result, bail, ensure};
use half::f16;
use rayon::prelude::*;

/// How the activations a weight format multiplies are quantized.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ActFormat {
    /// i8 per block of this many values, scale `amax / 127` in f32, levels `x · (127 / amax)`
    /// rounded to nearest even (ggml's AVX2 `quantize_row_q8_0` with an unrounded scale).
    Block(usize),
    /// ggml's Q8_0: the same levels, the scale rounded to f16 as `block_q8_0` stores it.
    Q8_0,
    /// ggml's Q8_K (`quantize_row_q8_K_ref`): blocks of 256, `iscale = -127 / max` where max is
    /// the first value of largest magnitude, levels `x · iscale` rounded to nearest even, scale
    /// `1 / iscale`, and the sum of every 16 levels.
    Q8_K,
}

/// Values per partial sum of Q8_K (`bsums`).
pub(super) const K_SUM: usize = 16;

impl ActFormat {
    /// Values per scale, and per partial sum.
    fn blocks(self) -> (usize, usize) {
        match self {
            ActFormat::Block(b) => (b, b),
            ActFormat::Q8_0 => (GROUP, GROUP),
            ActFormat::Q8_K => (K_BLOCK, K_SUM),
        }
    }
}

impl PackedFormat {
    /// How this format's activations are quantized.
    pub(super) fn activations(self) -> ActFormat {
        match self {
            Self::Int8 { block } | Self::Int4 { block } => ActFormat::Block(block),
            Self::Shipped(Shipped::Q8_0 | Shipped::Q5_0 | Shipped::Q4_0) => ActFormat::Q8_0,
            Self::Shipped(Shipped::Q4_K | Shipped::Q6_K) => ActFormat::Q8_K,
        }
    }
}

/// `v` rounded to the nearest integer (ties to even) and clamped to `[-q_max, q_max]`, for
/// |v| ≤ 2^22: adding 1.5·2^23 leaves no fraction bits, so the FPU rounds and the integer sits in
/// the low mantissa bits. Only a float add and integer ops, so loops over it vectorize
/// (`f32::round` is a libm call on x86-64, and saturating float → int casts are slow).
#[inline(always)]
fn level(v: f32, q_max: i32) -> i8 {
    const MAGIC: f32 = 12_582_912.0;
    ((v + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32).clamp(-q_max, q_max) as i8
}

/// Largest |x|, or NaN if any value is NaN; eight running maxima so that it vectorizes.
#[inline(always)]
fn abs_max(values: &[f32]) -> f32 {
    let (mut max, mut nan) = ([0.0f32; 8], false);
    let mut update = |l: usize, v: f32| {
        let a = v.abs();
        max[l] = if a > max[l] { a } else { max[l] };
        nan |= a.is_nan();
    };
    let (chunks, tail) = values.as_chunks::<8>();
    for c in chunks {
        (0..8).for_each(|l| update(l, c[l]));
    }
    tail.iter().enumerate().for_each(|(l, &v)| update(l, v));
    if nan {
        f32::NAN
    } else {
        max.into_iter().fold(0.0, f32::max)
    }
}

/// Quantizes one weight row (`values.len()` = cols) into `quants` (`format.row_bytes(cols)`) and
/// `scales` (cols / block): `Int8` and `Int4` with a symmetric scale that never clips, and the
/// quantizable [`Shipped`] types by ggml's own rule ([`ggml_block`]).
pub(super) fn quantize_row(
    format: PackedFormat,
    values: &[f32],
    quants: &mut [u8],
    scales: &mut [f16],
) -> Result<()> {
    let (block, q_max) = (format.block(), format.q_max());
    let mut levels = [0i8; MAX_BLOCK];
    for ((x, out), s) in values
        .chunks_exact(block)
        .zip(quants.chunks_exact_mut(format.row_bytes(block)))
        .zip(scales)
    {
        if let PackedFormat::Shipped(shipped) = format {
            let (d, l) = ggml_block(shipped, x.try_into()?)?;
            *s = d;
            levels[..GROUP].copy_from_slice(&l);
        } else {
            *s = block_scale(abs_max(x), q_max)?;
            let d = s.to_f32();
            // Division, not multiplication by 1/d, so `x / d` is correctly rounded and the d/2
            // bound is exact; this runs once per weight.
            for (l, &v) in levels.iter_mut().zip(x) {
                *l = if d == 0.0 { 0 } else { level(v / d, q_max) };
            }
        }
        match format {
            PackedFormat::Int8 { .. } | PackedFormat::Shipped(Shipped::Q8_0) => {
                out.iter_mut().zip(&levels).for_each(|(o, &l)| *o = l as u8)
            }
            PackedFormat::Int4 { .. } | PackedFormat::Shipped(Shipped::Q4_0) => {
                for (o, l) in out.as_chunks_mut().0.iter_mut().zip(levels.as_chunks().0) {
                    *o = pack_int4(l);
                }
            }
            PackedFormat::Shipped(_) => unreachable!("PackedMatrix refuses to quantize into them"),
        }
    }
    Ok(())
}

/// One block of 32 values as ggml's reference quantizers make it (`quantize_row_q8_0_ref` and
/// `quantize_row_q4_0_ref`, which `llama-quantize` runs for these types without an importance
/// matrix): the f16 scale as stored, and the levels.
/// - Q8_0: `d = amax / 127`, levels `roundf(x / d)` (ties away from zero, by `1 / d`);
/// - Q4_0: `d = max / -8`, where max is the first value of largest magnitude with its sign
///   (it becomes -8, so all 16 levels are used), levels `min(15, trunc(x · (1 / d) + 8.5)) - 8`,
///   the product rounded to f32 before the add, as `llama-quantize` computes it (gguf-py's numpy
///   port fuses the two, which differs on ties: a fifth of the blocks of a requantized Q5_0
///   matrix hold one).
fn ggml_block(shipped: Shipped, x: &[f32; GROUP]) -> Result<(f16, [i8; GROUP])> {
    let amax = abs_max(x);
    if !amax.is_finite() {
        bail!("weights must be finite, got a block with max |x| = {amax}");
    }
    let (d, levels): (f32, fn(f32, f32) -> i8) = match shipped {
        Shipped::Q8_0 => (amax / 127.0, |v, id| (v * id).round() as i8),
        Shipped::Q4_0 => {
            let max = x
                .iter()
                .fold(0.0f32, |m, &v| if m.abs() < v.abs() { v } else { m });
            (max / -8.0, |v, id| ((v * id + 8.5) as i8).min(15) - 8)
        }
        _ => bail!(
            "{} is only taken from a file, not quantized",
            shipped.name()
        ),
    };
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let scale = f16::from_f32(d);
    ensure!(
        scale.is_finite(),
        "block with max |x| = {amax} needs a scale beyond the f16 range"
    );
    Ok((scale, x.map(|v| levels(v, id))))
}

/// Activation rows `[n, cols]` quantized per block to i8 in `[-127, 127]`.
pub(super) struct Activations {
    cols: usize,
    block: usize,
    /// Values per partial sum: the block, or [`K_SUM`] for Q8_K.
    sum_block: usize,
    q: Vec<i8>,
    /// `[n, cols / block]`: value = q · scale.
    scales: Vec<f32>,
    /// `[n, cols / sum_block]`: Σ q over each run of `sum_block` values, for kernels that store
    /// weights with an offset or a min.
    sums: Vec<i32>,
    /// The same rows interleaved for the AVX-512 GEMM, when its kernel asked for them.
    lanes: Option<TokenLanes>,
}

#[cfg(target_arch = "x86_64")]
pub(super) use super::token_lanes::TokenLanes;
/// Only x86 has the AVX-512 GEMM.
#[cfg(not(target_arch = "x86_64"))]
pub(super) enum TokenLanes {}

impl Activations {
    /// `x` is `[n, cols]` with cols a multiple of the block. A block holding a non-finite value
    /// gets a NaN or infinite scale, so the outputs it feeds are not finite either (never
    /// silently wrong). The reference, in one task: [`super::dot::Kernel::quantize`] runs it on
    /// rayon's pool.
    #[cfg(test)]
    pub fn quantize(x: &[f32], cols: usize, format: ActFormat) -> Self {
        let mut out = Self::zeroed(x.len(), cols, format);
        quantize_blocks(x, format, &mut out.q, &mut out.scales, &mut out.sums);
        out
    }

    /// Room for `len` values in rows of `cols`, every level, scale and sum zero.
    pub fn zeroed(len: usize, cols: usize, format: ActFormat) -> Self {
        let (block, sum_block) = format.blocks();
        Activations {
            cols,
            block,
            sum_block,
            q: vec![0; len],
            scales: vec![0.0; len / block],
            sums: vec![0; len / sum_block],
            lanes: None,
        }
    }

    /// Adds the interleaved copy of the rows for the AVX-512 GEMM.
    #[cfg(target_arch = "x86_64")]
    pub fn interleave(&mut self) {
        let n = self.q.len() / self.cols;
        self.lanes = Some(TokenLanes::new(
            &self.q,
            &self.scales,
            n,
            self.cols,
            self.block,
        ));
    }

    pub fn lanes(&self) -> Option<&TokenLanes> {
        self.lanes.as_ref()
    }

    /// Levels, scales and sums, for comparing quantizations.
    #[cfg(test)]
    pub fn parts(&self) -> (&[i8], &[f32], &[i32]) {
        (&self.q, &self.scales, &self.sums)
    }

    /// The rows of `x` and of these activations in groups of `rows`: the values to quantize, and
    /// the levels, scales and sums they go to (for [`quantize_blocks`], one task per group).
    pub fn row_groups<'a>(
        &'a mut self,
        x: &'a [f32],
        rows: usize,
    ) -> impl IndexedParallelIterator<Item = (&'a [f32], &'a mut [i8], &'a mut [f32], &'a mut [i32])>
    {
        let values = rows * self.cols;
        x.par_chunks(values)
            .zip(self.q.par_chunks_mut(values))
            .zip(self.scales.par_chunks_mut(values / self.block))
            .zip(self.sums.par_chunks_mut(values / self.sum_block))
            .map(|(((x, q), s), sums)| (x, q, s, sums))
    }

    pub fn row(&self, i: usize) -> ActRow<'_> {
        let (blocks, sums) = (self.cols / self.block, self.cols / self.sum_block);
        ActRow {
            q: &self.q[i * self.cols..][..self.cols],
            scales: &self.scales[i * blocks..][..blocks],
            sums: &self.sums[i * sums..][..sums],
        }
    }
}

/// Quantizes whole blocks of `x` into `q`, one scale per block into `scales` and one sum per
/// `sum_block` levels into `sums` (sized by [`Activations::zeroed`]'s rule).
#[inline(always)] // into each kernel's wrapper, to vectorize with its target features
pub(super) fn quantize_blocks(
    x: &[f32],
    format: ActFormat,
    q: &mut [i8],
    scales: &mut [f32],
    sums: &mut [i32],
) {
    let (block, sum_block) = format.blocks();
    let blocks = x.chunks_exact(block).zip(q.chunks_exact_mut(block)).zip(
        scales
            .iter_mut()
            .zip(sums.chunks_exact_mut(block / sum_block)),
    );
    for ((x, q), (scale, sums)) in blocks {
        let (inv_d, d) = match format {
            ActFormat::Block(_) | ActFormat::Q8_0 => {
                let amax = abs_max(x);
                let d = amax / 127.0;
                let d = if format == ActFormat::Q8_0 {
                    f16::from_f32(d).to_f32()
                } else {
                    d
                };
                (if amax > 0.0 { 127.0 / amax } else { 0.0 }, d)
            }
            ActFormat::Q8_K => {
                let max = signed_max(x);
                if max == 0.0 {
                    (0.0, 0.0)
                } else {
                    let iscale = -127.0 / max;
                    (iscale, 1.0 / iscale)
                }
            }
        };
        for (q, &v) in q.iter_mut().zip(x) {
            *q = level(v * inv_d, 127);
        }
        *scale = d;
        for (sum, q) in sums.iter_mut().zip(q.chunks_exact(sum_block)) {
            *sum = q.iter().map(|&q| q as i32).sum();
        }
    }
}

/// The first value of largest magnitude (ggml's `max` of Q8_K), or NaN if any value is NaN.
fn signed_max(values: &[f32]) -> f32 {
    let amax = abs_max(values);
    if amax.is_nan() {
        return f32::NAN;
    }
    values
        .iter()
        .copied()
        .find(|v| v.abs() == amax)
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_to_nearest_even_and_clamp() {
        for (v, l) in [
            (0.5f32, 0),
            (1.5, 2),
            (-2.5, -2),
            (126.6, 127),
            (-0.49999997, 0),
            (3.0, 3),
            (7.4, 7),
            (-130.0, -127),
        ] {
            assert_eq!(level(v, 127), l, "{v}");
        }
        assert_eq!(level(7.6, 7), 7);
    }

    #[test]
    fn abs_max_sees_every_value() {
        let mut x: Vec<f32> = (0..45).map(|i| i as f32 * 0.01).collect();
        x[44] = -3.0;
        assert_eq!(abs_max(&x), 3.0);
        x[7] = f32::NAN;
        assert!(abs_max(&x).is_nan());
    }

    #[test]
    fn activations_round_within_half_a_step() {
        let x: Vec<f32> = (0..128)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013)
            .collect();
        let a = Activations::quantize(&x, 64, ActFormat::Block(32));
        for (b, x) in x.chunks(32).enumerate() {
            let r = a.row(b / 2);
            let (d, q) = (r.scales[b % 2], &r.q[b % 2 * 32..][..32]);
            assert_eq!(r.sums[b % 2], q.iter().map(|&q| q as i32).sum::<i32>());
            assert_eq!(q.iter().map(|q| q.unsigned_abs()).max(), Some(127));
            for (&q, &v) in q.iter().zip(x) {
                assert!((q as f32 * d - v).abs() <= d * 0.5001, "{v} vs {q}·{d}");
            }
        }
    }

    #[test]
    fn non_finite_activations_poison_their_block_only() {
        let mut x = vec![0.25f32; 64];
        x[3] = f32::NAN;
        x[40] = f32::INFINITY;
        let a = Activations::quantize(&x, 64, ActFormat::Block(32));
        assert!(a.scales[0].is_nan() && a.scales[1].is_infinite());
        assert!(Activations::quantize(&[0.0; 32], 32, ActFormat::Block(32)).scales[0] == 0.0);
    }
}
