//! ggml tensor types and their block formats: the geometry of every type ggml defines, and
//! dequantization to f32 for the ones this project meets.
//!
//! Each decoder follows ggml's `dequantize_row_*` reference code, evaluating every value with the
//! same f32 operations in the same order (`(d * scale) * q - (dmin * min)`, no fused multiply-add),
//! so the results equal ggml's and gguf-py's bit for bit.

use half::f16;
use std::fmt;

/// A tensor's storage type, as the `u32` id in a GGUF tensor info.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlType {
    F32,
    F16,
    BF16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q4_K,
    Q5_K,
    Q6_K,
    /// Any other id; the file may still be read and its bytes inspected, but not dequantized.
    Other(u32),
}

/// `(id, name, values per block, bytes per block)` of every type ggml defines (sizes of ggml's C
/// block structs), so the reader can size and bounds-check tensors it cannot dequantize.
const LAYOUTS: [(u32, &str, usize, usize); 35] = [
    (0, "F32", 1, 4),
    (1, "F16", 1, 2),
    (2, "Q4_0", 32, 18),
    (3, "Q4_1", 32, 20),
    (6, "Q5_0", 32, 22),
    (7, "Q5_1", 32, 24),
    (8, "Q8_0", 32, 34),
    (9, "Q8_1", 32, 36),
    (10, "Q2_K", 256, 84),
    (11, "Q3_K", 256, 110),
    (12, "Q4_K", 256, 144),
    (13, "Q5_K", 256, 176),
    (14, "Q6_K", 256, 210),
    (15, "Q8_K", 256, 292),
    (16, "IQ2_XXS", 256, 66),
    (17, "IQ2_XS", 256, 74),
    (18, "IQ3_XXS", 256, 98),
    (19, "IQ1_S", 256, 50),
    (20, "IQ4_NL", 32, 18),
    (21, "IQ3_S", 256, 110),
    (22, "IQ2_S", 256, 82),
    (23, "IQ4_XS", 256, 136),
    (24, "I8", 1, 1),
    (25, "I16", 1, 2),
    (26, "I32", 1, 4),
    (27, "I64", 1, 8),
    (28, "F64", 1, 8),
    (29, "IQ1_M", 256, 56),
    (30, "BF16", 1, 2),
    (34, "TQ1_0", 256, 54),
    (35, "TQ2_0", 256, 66),
    (39, "MXFP4", 32, 17),
    (40, "NVFP4", 64, 36),
    (41, "Q1_0", 128, 18),
    (42, "Q2_0", 64, 18),
];

impl GgmlType {
    /// The types [`dequantize_bytes`] decodes.
    pub const DEQUANTIZABLE: [GgmlType; 11] = [
        Self::F32,
        Self::F16,
        Self::BF16,
        Self::Q4_0,
        Self::Q4_1,
        Self::Q5_0,
        Self::Q5_1,
        Self::Q8_0,
        Self::Q4_K,
        Self::Q5_K,
        Self::Q6_K,
    ];

    pub fn from_id(id: u32) -> Self {
        match id {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            6 => Self::Q5_0,
            7 => Self::Q5_1,
            8 => Self::Q8_0,
            12 => Self::Q4_K,
            13 => Self::Q5_K,
            14 => Self::Q6_K,
            30 => Self::BF16,
            _ => Self::Other(id),
        }
    }

    pub fn id(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q5_0 => 6,
            Self::Q5_1 => 7,
            Self::Q8_0 => 8,
            Self::Q4_K => 12,
            Self::Q5_K => 13,
            Self::Q6_K => 14,
            Self::BF16 => 30,
            Self::Other(id) => id,
        }
    }

    fn layout(self) -> Option<(usize, usize)> {
        let id = self.id();
        LAYOUTS.iter().find(|l| l.0 == id).map(|l| (l.2, l.3))
    }

    /// ggml's name for the type ("Q4_K"), or "unknown" for an id ggml does not define.
    pub fn name(self) -> &'static str {
        let id = self.id();
        LAYOUTS
            .iter()
            .find(|l| l.0 == id)
            .map_or("unknown", |l| l.1)
    }

    /// Values per block; `None` for an id ggml does not define.
    pub fn block_size(self) -> Option<usize> {
        self.layout().map(|l| l.0)
    }

    /// Bytes per block; `None` for an id ggml does not define.
    pub fn type_size(self) -> Option<usize> {
        self.layout().map(|l| l.1)
    }
}

impl fmt::Display for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DequantError {
    #[error("cannot dequantize ggml type {0} (type id {id}): unsupported type", id = .0.id())]
    Unsupported(GgmlType),
    #[error("{n} values are not a multiple of the {ty} block size {block}")]
    NotBlockMultiple {
        ty: GgmlType,
        n: usize,
        block: usize,
    },
    #[error("{n} values of type {ty} take {expected} bytes, but {actual} were given")]
    WrongLength {
        ty: GgmlType,
        n: usize,
        expected: usize,
        actual: usize,
    },
}

/// Decodes `n` values of type `ty` stored in `bytes` (which must hold exactly `n` values) into f32,
/// in storage order (ggml's `ne[0]` fastest, i.e. row-major for the reversed shape).
pub fn dequantize_bytes(ty: GgmlType, bytes: &[u8], n: usize) -> Result<Vec<f32>, DequantError> {
    let decode: fn(&[u8], &mut [f32]) = match ty {
        GgmlType::F32 => f32_le,
        GgmlType::F16 => f16_le,
        GgmlType::BF16 => bf16_le,
        GgmlType::Q4_0 => q4_0,
        GgmlType::Q4_1 => q4_1,
        GgmlType::Q5_0 => q5_0,
        GgmlType::Q5_1 => q5_1,
        GgmlType::Q8_0 => q8_0,
        GgmlType::Q4_K => q4_k,
        GgmlType::Q5_K => q5_k,
        GgmlType::Q6_K => q6_k,
        GgmlType::Other(_) => return Err(DequantError::Unsupported(ty)),
    };
    let Some((block, size)) = ty.layout() else {
        return Err(DequantError::Unsupported(ty));
    };
    if !n.is_multiple_of(block) {
        return Err(DequantError::NotBlockMultiple { ty, n, block });
    }
    let expected = (n / block).checked_mul(size);
    if expected != Some(bytes.len()) {
        return Err(DequantError::WrongLength {
            ty,
            n,
            expected: expected.unwrap_or(usize::MAX),
            actual: bytes.len(),
        });
    }
    // Zeroed allocation is lazily mapped by the OS, so this costs nothing beyond the writes below.
    let mut out = vec![0.0f32; n];
    decode(bytes, &mut out);
    Ok(out)
}

/// Runs `decode` on each `T`-byte block and its `B` output values. The caller has checked the
/// lengths, so both slices split into the same number of whole blocks; fixed-size arrays let the
/// compiler drop the bounds checks inside the decoders.
fn per_block<const T: usize, const B: usize>(
    bytes: &[u8],
    out: &mut [f32],
    decode: impl Fn(&[u8; T], &mut [f32; B]),
) {
    for (b, y) in bytes
        .as_chunks::<T>()
        .0
        .iter()
        .zip(out.as_chunks_mut::<B>().0)
    {
        decode(b, y);
    }
}

fn half(lo: u8, hi: u8) -> f32 {
    f16::from_bits(u16::from_le_bytes([lo, hi])).to_f32()
}

fn f32_le(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 4], y: &mut [f32; 1]| {
        y[0] = f32::from_le_bytes(*b)
    });
}

fn f16_le(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 2], y: &mut [f32; 1]| {
        y[0] = half(b[0], b[1])
    });
}

/// bf16 is the top half of an f32, so widening is a shift.
fn bf16_le(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 2], y: &mut [f32; 1]| {
        y[0] = f32::from_bits((u16::from_le_bytes(*b) as u32) << 16)
    });
}

/// d: f16, qs: 16 bytes; value j is the low nibble of qs[j], value j+16 the high nibble, both offset by 8.
fn q4_0(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 18], y: &mut [f32; 32]| {
        let d = half(b[0], b[1]);
        let (lo, hi) = y.split_at_mut(16);
        for (j, &q) in b[2..].iter().enumerate() {
            lo[j] = ((q & 0xF) as i32 - 8) as f32 * d;
            hi[j] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    });
}

/// d, m: f16, qs: 16 bytes of unsigned nibbles; value = q * d + m.
fn q4_1(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 20], y: &mut [f32; 32]| {
        let (d, m) = (half(b[0], b[1]), half(b[2], b[3]));
        let (lo, hi) = y.split_at_mut(16);
        for (j, &q) in b[4..].iter().enumerate() {
            lo[j] = (q & 0xF) as f32 * d + m;
            hi[j] = (q >> 4) as f32 * d + m;
        }
    });
}

/// The fifth bits of values j and j+16 of a Q5 block: bits j and j+16 of `qh`, moved to bit 4.
fn fifth_bits(qh: u32, j: usize) -> (u8, u8) {
    (
        (((qh >> j) << 4) & 0x10) as u8,
        ((qh >> (j + 12)) & 0x10) as u8,
    )
}

/// The 32 levels of a Q5_0 block (`q - 16`, in `[-16, 15]`) in value order: the nibbles of qs
/// (value j low, j+16 high) with the fifth bits of qh.
pub fn q5_0_levels(b: &[u8; 22]) -> [i8; 32] {
    let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
    let mut out = [0i8; 32];
    let (lo, hi) = out.split_at_mut(16);
    for (j, &q) in b[6..].iter().enumerate() {
        let (h0, h1) = fifth_bits(qh, j);
        lo[j] = ((q & 0xF) | h0) as i8 - 16;
        hi[j] = ((q >> 4) | h1) as i8 - 16;
    }
    out
}

/// d: f16, qh: u32 of fifth bits, qs: 16 bytes of nibbles; 5-bit values offset by 16.
fn q5_0(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 22], y: &mut [f32; 32]| {
        let d = half(b[0], b[1]);
        for (y, q) in y.iter_mut().zip(q5_0_levels(b)) {
            *y = q as f32 * d;
        }
    });
}

/// d, m: f16, qh: u32 of fifth bits, qs: 16 bytes of nibbles; value = q * d + m.
fn q5_1(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 24], y: &mut [f32; 32]| {
        let (d, m) = (half(b[0], b[1]), half(b[2], b[3]));
        let qh = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        let (lo, hi) = y.split_at_mut(16);
        for (j, &q) in b[8..].iter().enumerate() {
            let (h0, h1) = fifth_bits(qh, j);
            lo[j] = ((q & 0xF) | h0) as f32 * d + m;
            hi[j] = ((q >> 4) | h1) as f32 * d + m;
        }
    });
}

/// d: f16, qs: 32 signed bytes.
fn q8_0(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 34], y: &mut [f32; 32]| {
        let d = half(b[0], b[1]);
        for (y, &q) in y.iter_mut().zip(&b[2..]) {
            *y = (q as i8) as f32 * d;
        }
    });
}

/// Scale and min of sub-block `j` (0..8) of a Q4_K/Q5_K block: eight 6-bit pairs packed into 12
/// bytes, the first four whole in the low 6 bits, the last four split over nibbles and top bits
/// (ggml's `get_scale_min_k4`).
pub fn scale_min(j: usize, s: &[u8]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

/// The 256 levels (`[0, 15]`) of a Q4_K block in value order. Each 64 values share 32 bytes of
/// qs: the low nibbles are sub-block 2j, the high nibbles sub-block 2j+1.
pub fn q4_k_levels(b: &[u8; 144]) -> [u8; 256] {
    let mut out = [0u8; 256];
    for (qs, y) in b[16..].chunks_exact(32).zip(out.chunks_exact_mut(64)) {
        let (lo, hi) = y.split_at_mut(32);
        for l in 0..32 {
            lo[l] = qs[l] & 0xF;
            hi[l] = qs[l] >> 4;
        }
    }
    out
}

/// d, dmin: f16, scales: 12 bytes, qs: 128 bytes ([`q4_k_levels`]); value =
/// (d*sc) * q - (dmin*m) with the sub-block's scale and min.
fn q4_k(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 144], y: &mut [f32; 256]| {
        let (d, dmin) = (half(b[0], b[1]), half(b[2], b[3]));
        let levels = q4_k_levels(b);
        for (j, (q, y)) in levels
            .chunks_exact(32)
            .zip(y.chunks_exact_mut(32))
            .enumerate()
        {
            let (sc, m) = scale_min(j, &b[4..16]);
            let (d1, m1) = (d * sc as f32, dmin * m as f32);
            for (y, &q) in y.iter_mut().zip(q) {
                *y = d1 * q as f32 - m1;
            }
        }
    });
}

/// Q4_K plus qh: 32 bytes whose bit i of byte l is the fifth bit of value l of sub-block i.
fn q5_k(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 176], y: &mut [f32; 256]| {
        let (d, dmin) = (half(b[0], b[1]), half(b[2], b[3]));
        let scales = &b[4..16];
        let qh = &b[16..48];
        for (j, (qs, y)) in b[48..]
            .chunks_exact(32)
            .zip(y.chunks_exact_mut(64))
            .enumerate()
        {
            let ((sc1, m1), (sc2, m2)) = (scale_min(2 * j, scales), scale_min(2 * j + 1, scales));
            let (d1, m1) = (d * sc1 as f32, dmin * m1 as f32);
            let (d2, m2) = (d * sc2 as f32, dmin * m2 as f32);
            let (u1, u2) = (1u8 << (2 * j), 2u8 << (2 * j));
            let (lo, hi) = y.split_at_mut(32);
            for l in 0..32 {
                let h1 = if qh[l] & u1 != 0 { 16 } else { 0 };
                let h2 = if qh[l] & u2 != 0 { 16 } else { 0 };
                lo[l] = d1 * ((qs[l] & 0xF) + h1) as f32 - m1;
                hi[l] = d2 * ((qs[l] >> 4) + h2) as f32 - m2;
            }
        }
    });
}

/// The 256 levels (`q - 32`, in `[-32, 31]`) of a Q6_K block in value order. ql: 128 bytes of low
/// nibbles, qh: 64 bytes of 2-bit high parts. Each half of 128 values uses 64 bytes of ql and 32 of
/// qh: value l, l+32, l+64, l+96 take the low/low/high/high nibble of ql[l], ql[l+32], ql[l],
/// ql[l+32] and bits 0-1, 2-3, 4-5, 6-7 of qh[l]. Value v's scale is `scales[v / 16]`.
pub fn q6_k_levels(b: &[u8; 210]) -> [i8; 256] {
    let mut out = [0i8; 256];
    for n in 0..2 {
        let ql = &b[64 * n..64 * n + 64];
        let qh = &b[128 + 32 * n..128 + 32 * n + 32];
        let y = &mut out[128 * n..128 * n + 128];
        for l in 0..32 {
            y[l] = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i8 - 32;
            y[l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i8 - 32;
            y[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i8 - 32;
            y[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i8 - 32;
        }
    }
    out
}

/// [`q6_k_levels`], then scales: 16 signed bytes (one per 16 values), d: f16; value =
/// (d*scale) * q.
fn q6_k(bytes: &[u8], out: &mut [f32]) {
    per_block(bytes, out, |b: &[u8; 210], y: &mut [f32; 256]| {
        let d = half(b[208], b[209]);
        let levels = q6_k_levels(b);
        for ((q, y), &sc) in levels
            .chunks_exact(16)
            .zip(y.chunks_exact_mut(16))
            .zip(&b[192..208])
        {
            for (y, &q) in y.iter_mut().zip(q) {
                *y = d * (sc as i8) as f32 * q as f32;
            }
        }
    });
}
