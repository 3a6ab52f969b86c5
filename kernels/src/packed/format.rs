//! The packed formats and how their per-block scales are stored.
//!
//! Every format is symmetric (no zero point): a block of `block` consecutive values along a row
//! shares one scale `d`, and value `j` is `q[j] · d`. Scales are IEEE f16, like ggml's Q8_0/Q4_0,
//! so a GGUF Q8_0 tensor is used byte for byte and a block costs 2 bytes of scale, not 4: at
//! block 32 that is 8.5 bits per weight for Int8 and 4.5 for Int4 instead of 9 and 5, and decode
//! is bound by how many bytes it reads.

use anyhow::{Result, bail, ensure};
use half::f16;

use gguf::GgmlType;

/// How a [`super::PackedMatrix`] stores its weights.
///
/// - `Int8`: one two's-complement `i8` per value. [`super::PackedMatrix::quantize`] uses
///   `[-127, 127]`; GGUF Q8_0 data may also hold -128, which the kernels handle exactly.
/// - `Int4`: values in `[-7, 7]` (symmetric, so the round-off bound `d/2` holds for every value),
///   stored as `q + 8` in a nibble. Each run of 32 values takes 16 bytes: value `j` is the low
///   nibble of byte `j`, value `j + 16` the high nibble (ggml's Q4_0 order), whatever the block.
///
/// `block` ∈ {32, 64, 128} values per scale.
///
/// - `Shipped`: a ggml block type kept as the GGUF stores it and multiplied on its own integers,
///   the way ggml-cpu does (see [`Shipped`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PackedFormat {
    Int8 { block: usize },
    Int4 { block: usize },
    Shipped(Shipped),
}

/// The ggml block types a GGUF such as Q4_K_M ships its matrices in, each multiplied against
/// activations quantized the way ggml quantizes them for that type (its `vec_dot_type`):
/// - `Q8_0` (f16 scale, 32 i8), `Q5_0` (f16 scale, 32 five-bit levels − 16) and `Q4_0` (f16
///   scale, 32 nibbles − 8) against ggml's Q8_0 activations: blocks of 32, i8 with an **f16**
///   scale;
/// - `Q4_K` (256 values: f16 `d` and `dmin`, eight 6-bit scales and mins, 4-bit levels) and
///   `Q6_K` (256 values: f16 `d`, sixteen i8 scales, 6-bit levels − 32) against ggml's Q8_K:
///   blocks of 256, i8 with an f32 scale and the sum of every 16 values.
///
/// `Q8_0` and `Q5_0` are stored like `Int8 { block: 32 }`, levels and f16 scales apart (Q5_0
/// widened from 5.5 to 8.5 bits per weight, losslessly, so that it runs on the int8 kernels),
/// `Q4_0` like `Int4 { block: 32 }` (the same nibble order); `Q4_K` and `Q6_K` keep the file's
/// block bytes as they are.
///
/// `Q8_0` and `Q4_0` can also be made from f32 values, by ggml's reference quantizers (what
/// `llama-quantize` runs for them); the others only come from a file.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Shipped {
    Q8_0,
    Q5_0,
    Q4_0,
    Q4_K,
    Q6_K,
}

impl Shipped {
    /// The shipped format of a GGUF tensor type, if these kernels run it.
    pub fn from_ggml(ty: GgmlType) -> Option<Self> {
        match ty {
            GgmlType::Q8_0 => Some(Self::Q8_0),
            GgmlType::Q5_0 => Some(Self::Q5_0),
            GgmlType::Q4_0 => Some(Self::Q4_0),
            GgmlType::Q4_K => Some(Self::Q4_K),
            GgmlType::Q6_K => Some(Self::Q6_K),
            _ => None,
        }
    }

    pub fn ggml_type(self) -> GgmlType {
        match self {
            Self::Q8_0 => GgmlType::Q8_0,
            Self::Q5_0 => GgmlType::Q5_0,
            Self::Q4_0 => GgmlType::Q4_0,
            Self::Q4_K => GgmlType::Q4_K,
            Self::Q6_K => GgmlType::Q6_K,
        }
    }

    /// ggml's name, as in a GGUF's tensor list.
    pub fn name(self) -> &'static str {
        self.ggml_type().name()
    }

    /// Where each block keeps its f16 scales (Q4_K: `d` and `dmin`).
    pub(super) fn scale_offsets(self) -> &'static [usize] {
        match self {
            Self::Q4_K => &[0, 2],
            Self::Q6_K => &[208],
            Self::Q8_0 | Self::Q5_0 | Self::Q4_0 => &[0],
        }
    }

    /// Whether f32 values can be quantized into this type (by ggml's reference rule).
    pub fn quantizable(self) -> bool {
        matches!(self, Self::Q8_0 | Self::Q4_0)
    }

    /// Bytes of one ggml block: scales included, as the file stores it.
    pub(super) fn block_bytes(self) -> usize {
        self.ggml_type()
            .type_size()
            .expect("ggml defines every shipped type")
    }
}

/// Values per nibble run of Int4, and the granularity of the SIMD kernels.
pub(super) const GROUP: usize = 32;
pub(super) const MAX_BLOCK: usize = 128;
/// Values per block of ggml's K-quants (`QK_K`).
pub(super) const K_BLOCK: usize = 256;

impl PackedFormat {
    /// Values per block (per scale of `Int8`/`Int4`, per ggml block of `Shipped`).
    pub fn block(self) -> usize {
        match self {
            Self::Int8 { block } | Self::Int4 { block } => block,
            Self::Shipped(Shipped::Q8_0 | Shipped::Q5_0 | Shipped::Q4_0) => GROUP,
            Self::Shipped(Shipped::Q4_K | Shipped::Q6_K) => K_BLOCK,
        }
    }

    /// Largest quantized magnitude of the formats [`super::PackedMatrix::quantize`] makes.
    pub(super) fn q_max(self) -> i32 {
        match self {
            Self::Shipped(Shipped::Q4_0) => 8,
            Self::Int8 { .. } | Self::Shipped(_) => 127,
            Self::Int4 { .. } => 7,
        }
    }

    /// Bytes of quantized values in one row of `cols` values (with the scales of the shipped
    /// types that keep their blocks whole).
    pub(super) fn row_bytes(self, cols: usize) -> usize {
        match self {
            Self::Int8 { .. } | Self::Shipped(Shipped::Q8_0 | Shipped::Q5_0) => cols,
            Self::Int4 { .. } | Self::Shipped(Shipped::Q4_0) => cols / 2,
            Self::Shipped(s) => cols / self.block() * s.block_bytes(),
        }
    }

    /// f16 scales held apart from the values in one row of `cols` values.
    pub(super) fn row_scales(self, cols: usize) -> usize {
        match self {
            Self::Int8 { .. }
            | Self::Int4 { .. }
            | Self::Shipped(Shipped::Q8_0 | Shipped::Q5_0 | Shipped::Q4_0) => cols / self.block(),
            Self::Shipped(Shipped::Q4_K | Shipped::Q6_K) => 0,
        }
    }

    /// The 32 levels of one run, stored in `bytes` (`row_bytes(GROUP)` of them).
    pub(super) fn levels(self, bytes: &[u8]) -> [i8; GROUP] {
        match self {
            Self::Int4 { .. } | Self::Shipped(Shipped::Q4_0) => std::array::from_fn(|j| {
                let b = bytes[j % (GROUP / 2)];
                (if j < GROUP / 2 { b & 0xf } else { b >> 4 }) as i8 - 8
            }),
            _ => std::array::from_fn(|j| bytes[j] as i8),
        }
    }

    /// Checks the block size and that a row of `cols` splits into whole blocks.
    pub(super) fn check(self, cols: usize) -> Result<()> {
        let block = self.block();
        ensure!(
            matches!(self, Self::Shipped(_)) || matches!(block, GROUP | 64 | MAX_BLOCK),
            "{self:?}: block must be 32, 64 or 128"
        );
        ensure!(
            cols.is_multiple_of(block),
            "{self:?}: {cols} columns is not a multiple of the block"
        );
        Ok(())
    }
}

/// Packs 32 Int4 levels in `[-8, 7]` (ggml's Q4_0 order, see [`PackedFormat`]).
pub(super) fn pack_int4(levels: &[i8; GROUP]) -> [u8; GROUP / 2] {
    let (lo, hi) = levels.split_at(GROUP / 2);
    std::array::from_fn(|j| ((lo[j] + 8) as u8) | (((hi[j] + 8) as u8) << 4))
}

/// The smallest f16 scale `d ≥ amax / q_max`, so that `|x / d| ≤ q_max` for every value of the
/// block and nothing is clipped (rounding to nearest could land below and clip the largest value).
pub(super) fn block_scale(amax: f32, q_max: i32) -> Result<f16> {
    if !amax.is_finite() {
        bail!("weights must be finite, got a block with max |x| = {amax}");
    }
    let exact = amax / q_max as f32;
    let mut d = f16::from_f32(exact);
    if d.to_f32() < exact {
        // Positive f16 bit patterns are ordered like their values: +1 is the next one up.
        d = f16::from_bits(d.to_bits() + 1);
    }
    ensure!(
        d.is_finite(),
        "block with max |x| = {amax} needs a scale beyond the f16 range"
    );
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_scale_never_clips() {
        for amax in [
            1e-9f32,
            1e-6,
            0.0078,
            0.0123,
            0.3,
            1.0,
            3.3,
            1000.0,
            65504.0 * 7.0,
        ] {
            for q_max in [7, 127] {
                let d = block_scale(amax, q_max).unwrap().to_f32();
                assert!(amax / d <= q_max as f32, "{amax} / {d} > {q_max}");
            }
        }
        assert_eq!(block_scale(0.0, 127).unwrap().to_f32(), 0.0);
        assert!(block_scale(f32::NAN, 127).is_err());
        assert!(block_scale(f32::INFINITY, 7).is_err());
        assert!(block_scale(65504.0 * 7.0 * 1.01, 7).is_err());
    }

    #[test]
    fn int4_nibbles_round_trip_in_q4_0_order() {
        let levels: [i8; GROUP] = std::array::from_fn(|j| (j as i8 % 15) - 7);
        let packed = pack_int4(&levels);
        assert_eq!(
            packed[0],
            (levels[0] + 8) as u8 | ((levels[16] + 8) as u8) << 4
        );
        assert_eq!(PackedFormat::Int4 { block: 64 }.levels(&packed), levels);
    }

    #[test]
    fn bad_blocks_are_errors() {
        assert!(PackedFormat::Int8 { block: 48 }.check(96).is_err());
        assert!(PackedFormat::Int4 { block: 64 }.check(96).is_err());
        assert!(PackedFormat::Int4 { block: 32 }.check(96).is_ok());
    }
}
