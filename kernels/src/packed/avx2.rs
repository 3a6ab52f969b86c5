//! The AVX2 kernels of `dot`, after ggml's x86 Q8_0/Q4_0 dot products: `_mm256_maddubs_epi16`
//! multiplies unsigned by signed bytes and adds neighbours into i16, `_mm256_madd_epi16` by ones
//! adds neighbouring i16 into i32. Every integer step is exact (no i16 saturation for the ranges
//! noted below) and the float steps are `dot`'s, lane for lane, so results equal the scalar path's.

use super::act_row::ActRow;
use super::format::{GROUP, K_BLOCK, PackedFormat, Shipped};
use super::quantize::{self, ActFormat};
use super::reference::{LANES, for_each_dot, sum_lanes, term};
use super::shipped::{self, BlockDot, KScales, Q6_K_OFFSET, RUNS};
use half::f16;
use std::arch::x86_64::*;

/// Proof that the CPU has AVX2 and F16C: only [`Avx2::detect`] makes one, which is what makes
/// calling the `#[target_feature]` functions below sound.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

impl Avx2 {
    pub fn detect() -> Option<Self> {
        (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("f16c")).then_some(Avx2(()))
    }

    /// `quantize::quantize_blocks`, auto-vectorized for AVX2 (same integer and float operations).
    pub(super) fn quantize_blocks(
        self,
        x: &[f32],
        format: ActFormat,
        q: &mut [i8],
        scales: &mut [f32],
        sums: &mut [i32],
    ) {
        #[target_feature(enable = "avx2")]
        fn run(x: &[f32], format: ActFormat, q: &mut [i8], scales: &mut [f32], sums: &mut [i32]) {
            quantize::quantize_blocks(x, format, q, scales, sums)
        }
        // SAFETY: `self` exists, so the CPU has AVX2.
        unsafe { run(x, format, q, scales, sums) }
    }

    /// `dot::Kernel::tile` with R runs of 32 values per block.
    pub(super) fn tile<const R: usize>(
        self,
        format: PackedFormat,
        w: &[u8],
        w_scales: &[f16],
        x: &[ActRow],
        outs: &mut [&mut [f32]],
    ) {
        // SAFETY: `self` exists, so the CPU has AVX2 and F16C.
        unsafe {
            match format {
                PackedFormat::Int8 { .. } => int8_tile::<R>(format, w, w_scales, x, outs),
                PackedFormat::Int4 { .. } => int4_tile::<R>(format, w, w_scales, x, outs),
                PackedFormat::Shipped(_) => unreachable!("dot::Kernel::tile routes shipped blocks"),
            }
        }
    }

    /// `shipped::k_tile` with the block sums on AVX2 integers ([`k_dots`]).
    pub(super) fn k_tile(self, s: Shipped, w: &[u8], x: &[ActRow], outs: &mut [&mut [f32]]) {
        #[target_feature(enable = "avx2")]
        fn k_tile(t: Avx2, s: Shipped, w: &[u8], x: &[ActRow], outs: &mut [&mut [f32]]) {
            shipped::k_tile(s, w, x, outs, t)
        }
        // SAFETY: `self` exists, so the CPU has AVX2.
        unsafe { k_tile(self, s, w, x, outs) }
    }
}

impl BlockDot for Avx2 {
    #[inline(always)]
    fn dots<const N: usize>(
        self,
        shipped: Shipped,
        block: &[u8],
        k: &KScales,
        q: [&[i8; K_BLOCK]; N],
        sums: [&[i32; RUNS]; N],
    ) -> [(i32, i32); N] {
        // SAFETY: `self` exists, so the CPU has AVX2.
        unsafe { k_dots(shipped, block, k, q, sums) }
    }
}

/// The exact totals of one K-quant block against N activation blocks, after ggml's AVX2
/// `vec_dot_q{4,6}_K_q8_K`: the levels are unpacked in registers, 32 at a time (Q4_K: a nibble
/// of its qs bytes; Q6_K: a nibble of ql with two bits of qh, as `q + 32`), and each 32 meets
/// all N rows before the next is unpacked; the offsets and mins meet the run sums eight lanes at
/// a time.
#[target_feature(enable = "avx2")]
#[inline]
fn k_dots<const N: usize>(
    shipped: Shipped,
    b: &[u8],
    k: &KScales,
    q: [&[i8; K_BLOCK]; N],
    sums: [&[i32; RUNS]; N],
) -> [(i32, i32); N] {
    let scales = &k.scales;
    let mut acc = [_mm256_setzero_si256(); N];
    let q = q.map(|q| q.as_chunks::<GROUP>().0);
    let m4 = _mm256_set1_epi8(0x0f);
    if shipped == Shipped::Q4_K {
        // 32 bytes of qs per 64 values: the low nibbles are values 0..32, the high ones 32..64.
        for (j, qs) in b[16..144].as_chunks::<32>().0.iter().enumerate() {
            let qs = load_256(qs);
            k_step(&mut acc, &q, scales, 2 * j, _mm256_and_si256(qs, m4));
            let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(qs), m4);
            k_step(&mut acc, &q, scales, 2 * j + 1, hi);
        }
    } else {
        // Per 128 values, 64 bytes of ql and 32 of qh: values l, l+32, l+64, l+96 take the
        // low/low/high/high nibble of ql[l], ql[l+32], ql[l], ql[l+32] and bits 0-1, 2-3, 4-5,
        // 6-7 of qh[l] as their bits 4-5.
        let (ql, qh) = (
            b[..128].as_chunks::<32>().0,
            b[128..192].as_chunks::<32>().0,
        );
        let m2 = _mm256_set1_epi8(0x30);
        for (n, qh) in qh.iter().enumerate() {
            let (l0, l1, h) = (load_256(&ql[2 * n]), load_256(&ql[2 * n + 1]), load_256(qh));
            let bits = [
                _mm256_and_si256(_mm256_slli_epi16::<4>(h), m2),
                _mm256_and_si256(_mm256_slli_epi16::<2>(h), m2),
                _mm256_and_si256(h, m2),
                _mm256_and_si256(_mm256_srli_epi16::<2>(h), m2),
            ];
            let levels = [
                _mm256_and_si256(l0, m4),
                _mm256_and_si256(l1, m4),
                _mm256_and_si256(_mm256_srli_epi16::<4>(l0), m4),
                _mm256_and_si256(_mm256_srli_epi16::<4>(l1), m4),
            ];
            for (k, (l, h)) in levels.into_iter().zip(bits).enumerate() {
                k_step(&mut acc, &q, scales, 4 * n + k, _mm256_or_si256(l, h));
            }
        }
    }
    let halves = k.scales.as_chunks::<8>().0;
    let wide = [
        _mm256_cvtepi16_epi32(load_128(&halves[0])),
        _mm256_cvtepi16_epi32(load_128(&halves[1])),
    ];
    let mins = _mm256_cvtepi16_epi32(load_128(&k.mins));
    let mut totals = [(0, 0); N];
    for ((out, acc), sums) in totals.iter_mut().zip(acc).zip(sums) {
        let sums = sums.as_chunks::<8>().0;
        let sums = [load_256(&sums[0]), load_256(&sums[1])];
        let (mut acc, mut min) = (acc, _mm256_setzero_si256());
        if shipped == Shipped::Q6_K {
            // Σ scale_g · 32 · bsum_g: the levels' + 32 taken back out.
            let s = _mm256_add_epi32(
                _mm256_mullo_epi32(wide[0], sums[0]),
                _mm256_mullo_epi32(wide[1], sums[1]),
            );
            const { assert!(Q6_K_OFFSET == 1 << 5) };
            acc = _mm256_sub_epi32(acc, _mm256_slli_epi32::<5>(s));
        } else {
            // bsum pairs (one per 32 values, hadd scatters them over the halves) times the mins.
            let pairs = _mm256_permute4x64_epi64::<0xd8>(_mm256_hadd_epi32(sums[0], sums[1]));
            min = _mm256_mullo_epi32(mins, pairs);
        }
        // Lanes [a0+a1, a2+a3, m0+m1, m2+m3 | a4+a5, a6+a7, m4+m5, m6+m7], then both totals.
        let v = _mm256_hadd_epi32(acc, min);
        let v = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        let v = _mm_hadd_epi32(v, v);
        *out = (_mm_cvtsi128_si32(v), _mm_extract_epi32::<1>(v));
    }
    totals
}

/// Adds chunk `c`'s 32 unsigned levels `w` times each row's activations, scaled by runs 2c and
/// 2c + 1, into `acc`: maddubs adds neighbours into i16 (at most 2·63·128 < 2^15 for Q6_K's
/// `q + 32`, so never saturating), and madd by the scales adds those pairs into i32. maddubs
/// puts bytes 0..16 (run 2c) in the low 128 bits and 16..32 (run 2c + 1) above.
#[target_feature(enable = "avx2")]
#[inline]
fn k_step<const N: usize>(
    acc: &mut [__m256i; N],
    q: &[&[[i8; GROUP]]; N],
    scales: &[i16; RUNS],
    c: usize,
    w: __m256i,
) {
    let s = _mm256_set_m128i(
        _mm_set1_epi16(scales[2 * c + 1]),
        _mm_set1_epi16(scales[2 * c]),
    );
    for (acc, q) in acc.iter_mut().zip(q) {
        let pairs = _mm256_maddubs_epi16(w, load_256(&q[c]));
        *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(pairs, s));
    }
}

#[target_feature(enable = "avx2,f16c")]
fn int8_tile<const R: usize>(
    format: PackedFormat,
    w: &[u8],
    w_scales: &[f16],
    x: &[ActRow],
    outs: &mut [&mut [f32]],
) {
    for_each_dot(format, w, w_scales, x, outs, |w, ws, x| {
        row_dot::<R, false, _>(w.as_chunks::<GROUP>().0, ws, x, |w, x| {
            int8_run(load_256(w), x)
        })
    });
}

#[target_feature(enable = "avx2,f16c")]
fn int4_tile<const R: usize>(
    format: PackedFormat,
    w: &[u8],
    w_scales: &[f16],
    x: &[ActRow],
    outs: &mut [&mut [f32]],
) {
    if x.len() == 1 {
        for_each_dot(format, w, w_scales, x, outs, |w, ws, x| {
            row_dot::<R, true, _>(w.as_chunks::<{ GROUP / 2 }>().0, ws, x, |w, x| {
                unsigned_run(nibbles(load_128(w)), x)
            })
        });
        return;
    }
    // Several activation rows: spread the tile's nibbles to one byte per value (Int8's layout)
    // once, so that each activation row skips the unpacking.
    let unpacked: Vec<[u8; GROUP]> = w
        .as_chunks::<{ GROUP / 2 }>()
        .0
        .iter()
        .map(|w| to_bytes(nibbles(load_128(w))))
        .collect();
    let bytes = PackedFormat::Int8 {
        block: format.block(),
    };
    for_each_dot(
        bytes,
        unpacked.as_flattened(),
        w_scales,
        x,
        outs,
        |w, ws, x| {
            row_dot::<R, true, _>(w.as_chunks::<GROUP>().0, ws, x, |w, x| {
                unsigned_run(load_256(w), x)
            })
        },
    );
}

/// Eight i32 partial sums of w·x over a run of 32 values. maddubs needs one unsigned operand, so
/// w's sign moves onto x: |w| ≤ 128 (Q8_0's -128 becomes 0x80, read as 128) and |x| ≤ 127, so a
/// pair is at most 2·128·127 = 32512 < 2^15.
#[target_feature(enable = "avx2")]
#[inline]
fn int8_run(w: __m256i, x: __m256i) -> __m256i {
    let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    _mm256_madd_epi16(pairs, _mm256_set1_epi16(1))
}

/// Eight i32 partial sums of u·x over a run of 32 values, u unsigned Int4 nibbles (q + 8):
/// a pair stays within 2·15·127.
#[target_feature(enable = "avx2")]
#[inline]
fn unsigned_run(u: __m256i, x: __m256i) -> __m256i {
    _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), _mm256_set1_epi16(1))
}

/// A run's 16 nibble bytes as 32 bytes: low nibbles are values 0..16, high nibbles 16..32.
#[target_feature(enable = "avx2")]
#[inline]
fn nibbles(bytes: __m128i) -> __m256i {
    let mask = _mm_set1_epi8(0x0f);
    _mm256_set_m128i(
        _mm_and_si128(_mm_srli_epi16::<4>(bytes), mask),
        _mm_and_si128(bytes, mask),
    )
}

/// `dot`'s lane sums for one row, LANES blocks of R runs per step. `w` holds the row's runs and
/// `run` their partial sums against x. `INT4`: the weights are stored as q + 8.
#[target_feature(enable = "avx2,f16c")]
#[inline]
fn row_dot<const R: usize, const INT4: bool, W>(
    w: &[W],
    w_scales: &[f16],
    x: ActRow,
    run: impl Fn(&W, __m256i) -> __m256i,
) -> f32 {
    let x_runs = x.q.as_chunks::<GROUP>().0;
    let (w_steps, x_steps) = (w.chunks_exact(LANES * R), x_runs.chunks_exact(LANES * R));
    let (w_tail, x_tail) = (w_steps.remainder(), x_steps.remainder());
    let scales = w_scales
        .as_chunks::<LANES>()
        .0
        .iter()
        .zip(x.scales.as_chunks::<LANES>().0)
        .zip(x.sums.as_chunks::<LANES>().0);
    let mut acc = _mm_setzero_ps();
    for ((w, x), ((ws, xs), sums)) in w_steps.zip(x_steps).zip(scales) {
        let dots = block_totals::<R, W>(w, x, LANES, &run);
        // Σ (q + 8)·x = Σ q·x + 8·Σ x.
        let dots = if INT4 {
            _mm_sub_epi32(dots, _mm_slli_epi32::<3>(load_128(sums)))
        } else {
            dots
        };
        let ws = _mm_cvtph_ps(load_64(ws));
        acc = _mm_add_ps(
            acc,
            _mm_mul_ps(
                _mm_cvtepi32_ps(dots),
                _mm_mul_ps(ws, _mm_castsi128_ps(load_128(xs))),
            ),
        );
    }
    let mut lanes = [0.0f32; LANES];
    // SAFETY: the array holds LANES f32; the store has no alignment requirement.
    unsafe { _mm_storeu_ps(lanes.as_mut_ptr(), acc) };
    // The last (< LANES) blocks go to lanes 0.. one by one, as in the scalar loop.
    let first = w_scales.len() / LANES * LANES;
    if first < w_scales.len() {
        let mut dots = [0i32; LANES];
        // SAFETY: as above, for LANES i32.
        unsafe {
            _mm_storeu_si128(
                dots.as_mut_ptr().cast(),
                block_totals::<R, W>(w_tail, x_tail, w_scales.len() - first, &run),
            )
        };
        for (b, (lane, dot)) in (first..w_scales.len()).zip(lanes.iter_mut().zip(dots)) {
            *lane += term(
                if INT4 { dot - 8 * x.sums[b] } else { dot },
                w_scales[b],
                x.scales[b],
            );
        }
    }
    sum_lanes(lanes)
}

/// The totals of `count` ≤ LANES blocks of R runs in lanes 0..count (the rest 0). Horizontal adds
/// reduce four vectors at once instead of one block at a time.
#[target_feature(enable = "avx2")]
#[inline]
fn block_totals<const R: usize, W>(
    w: &[W],
    x: &[[i8; GROUP]],
    count: usize,
    run: &impl Fn(&W, __m256i) -> __m256i,
) -> __m128i {
    let mut v = [_mm256_setzero_si256(); LANES];
    for (k, v) in v.iter_mut().enumerate().take(count) {
        for j in k * R..(k + 1) * R {
            *v = _mm256_add_epi32(*v, run(&w[j], load_256(&x[j])));
        }
    }
    // Lanes: [block 0..4 totals of elements 0..4 | block 0..4 totals of elements 4..8].
    let h = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256::<1>(h))
}

/// Loads any 32-byte value (byte or lane array) as a vector.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_256<A>(a: &A) -> __m256i {
    const { assert!(size_of::<A>() == 32) };
    // SAFETY: `a` spans 32 readable bytes; the load has no alignment requirement.
    unsafe { _mm256_loadu_si256((a as *const A).cast()) }
}

#[target_feature(enable = "avx2")]
#[inline]
fn to_bytes(v: __m256i) -> [u8; 32] {
    let mut out = [0; 32];
    // SAFETY: the array holds 32 bytes; the store has no alignment requirement.
    unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) };
    out
}

#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_128<A>(a: &A) -> __m128i {
    const { assert!(size_of::<A>() == 16) };
    // SAFETY: `a` spans 16 readable bytes; the load has no alignment requirement.
    unsafe { _mm_loadu_si128((a as *const A).cast()) }
}

/// Loads an 8-byte value into the low half.
#[target_feature(enable = "avx2")]
#[inline]
fn load_64<A>(a: &A) -> __m128i {
    const { assert!(size_of::<A>() == 8) };
    // SAFETY: `a` spans 8 readable bytes; the load has no alignment requirement.
    unsafe { _mm_loadl_epi64((a as *const A).cast()) }
}
