//! The AVX-512 VNNI kernels of `dot`. Int8 runs as the token-lane GEMM (`token_lanes`) from
//! [`token_lanes::MIN_ROWS`] activation rows on and on AVX2 below, both in the reference's float
//! order.
//!
//! Int4 runs a register-blocked GEMM: `vpdpbusd` multiplies 64 unsigned by 64 signed bytes and
//! adds each group of four products into one of 16 i32 lanes, in one instruction (AVX2 needs
//! four for half as many). Each step of 64 values keeps [`ROWS`] weight vectors and [`TOKENS`]
//! activation vectors in registers and updates all `ROWS × TOKENS` accumulators, so one load
//! serves several multiply-adds. The stored nibbles `q + 8` are the unsigned operand, and each
//! lane starts from `-8 · Σ x` over its four values, so the lane ends at exactly Σ w·x. Lanes
//! are scaled by their block's `w_scale · x_scale` in f32 (the rounding that `dot` documents).
//!
//! The K-quant block sums ([`BlockDot`]) are AVX2's at twice the width: 64 levels unpacked per
//! step, `vpmaddubsw` and `vpmaddwd` with the run scales, exact i32 totals, so the same bits as
//! every other kernel.

use super::act_row::ActRow;
use super::avx2::{Avx2, load_128, load_256};
use super::format::{K_BLOCK, PackedFormat, Shipped};
use super::quantize::ActFormat;
use super::shipped::{self, BlockDot, KScales, Q6_K_OFFSET, RUNS};
use super::token_lanes::{self, TokenLanes};
use half::f16;
use std::arch::x86_64::*;

/// Weight rows and activation rows per register block: 16 accumulators, 8 operand vectors.
const ROWS: usize = 4;
const TOKENS: usize = 4;
/// Values per step: one 512-bit vector of bytes.
const STEP: usize = 64;

/// Proof that the CPU has AVX-512 F/BW/VNNI, and AVX2 and F16C: only [`Avx512::detect`] makes
/// one, which is what makes calling the `#[target_feature]` functions below sound.
#[derive(Clone, Copy, Debug)]
pub struct Avx512(Avx2);

impl Avx512 {
    pub fn detect() -> Option<Self> {
        let avx2 = Avx2::detect()?;
        (is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vnni"))
        .then_some(Self(avx2))
    }

    /// `quantize::quantize_blocks`: AVX2's (activations are a small part of the work).
    pub(super) fn quantize_blocks(
        self,
        x: &[f32],
        format: ActFormat,
        q: &mut [i8],
        scales: &mut [f32],
        sums: &mut [i32],
    ) {
        self.0.quantize_blocks(x, format, q, scales, sums)
    }

    /// `dot::Kernel::tile`: `outs[i][r]` = Σ w_r·x_i, R runs of 32 values per block. Int8 runs
    /// as the token-lane GEMM where the activations come interleaved, and on AVX2 below that
    /// (both in the reference's order); Int4 runs the register blocks below.
    pub(super) fn tile<const R: usize>(
        self,
        format: PackedFormat,
        w: &[u8],
        w_scales: &[f16],
        x: &[ActRow],
        lanes: Option<&TokenLanes>,
        outs: &mut [&mut [f32]],
    ) {
        match (format, lanes) {
            // SAFETY: `self` exists, so the CPU has AVX-512 F, BW and VNNI, and F16C.
            (PackedFormat::Int8 { .. }, Some(lanes)) => unsafe {
                token_lanes::int8_tile::<R>(w, w_scales, x, lanes, outs)
            },
            (PackedFormat::Int8 { .. }, None) => self.0.tile::<R>(format, w, w_scales, x, outs),
            // SAFETY: as above.
            (PackedFormat::Int4 { .. }, _) => unsafe { tile_b::<R>(w, w_scales, x, outs) },
            (PackedFormat::Shipped(_), _) => {
                unreachable!("dot::Kernel::tile routes shipped blocks")
            }
        }
    }

    /// `shipped::k_tile` with the block sums on 512-bit integers ([`k_dots`]): exact, so the
    /// same bits as every other kernel.
    pub(super) fn k_tile(self, s: Shipped, w: &[u8], x: &[ActRow], outs: &mut [&mut [f32]]) {
        #[target_feature(enable = "avx512f,avx512bw,avx2")]
        fn k_tile(t: Avx512, s: Shipped, w: &[u8], x: &[ActRow], outs: &mut [&mut [f32]]) {
            shipped::k_tile(s, w, x, outs, t)
        }
        // SAFETY: `self` exists, so the CPU has AVX-512 F and BW, and AVX2.
        unsafe { k_tile(self, s, w, x, outs) }
    }
}

impl BlockDot for Avx512 {
    #[inline(always)]
    fn dots<const N: usize>(
        self,
        shipped: Shipped,
        block: &[u8],
        k: &KScales,
        q: [&[i8; K_BLOCK]; N],
        sums: [&[i32; RUNS]; N],
    ) -> [(i32, i32); N] {
        // SAFETY: `self` exists, so the CPU has AVX-512 F and BW, and AVX2.
        unsafe { k_dots(shipped, block, k, q, sums) }
    }
}

/// AVX2's `k_dots` at twice the width: the levels are unpacked 64 at a time (four runs of 16),
/// and each 64 meets all N activation rows before the next is unpacked. The same exact integers.
#[target_feature(enable = "avx512f,avx512bw,avx2")]
#[inline]
fn k_dots<const N: usize>(
    shipped: Shipped,
    b: &[u8],
    k: &KScales,
    q: [&[i8; K_BLOCK]; N],
    sums: [&[i32; RUNS]; N],
) -> [(i32, i32); N] {
    let mut acc = [_mm512_setzero_si512(); N];
    let q = q.map(|q| q.as_chunks::<64>().0);
    let run_scales = _mm512_castsi256_si512(load_256(&k.scales));
    let m4 = _mm512_set1_epi8(0x0f);
    if shipped == Shipped::Q4_K {
        // 32 bytes of qs per 64 values: the low nibbles are values 0..32, the high ones 32..64.
        let shifts = half(0, 4);
        for (c, qs) in b[16..144].as_chunks::<32>().0.iter().enumerate() {
            let qs = _mm512_broadcast_i64x4(load_256(qs));
            let w = _mm512_and_si512(_mm512_srlv_epi16(qs, shifts), m4);
            k_step(&mut acc, &q, run_scales, c, w);
        }
    } else {
        // Per 128 values, 64 bytes of ql and 32 of qh (AVX2's `k_dots` spells out the bits):
        // values 0..64 take the low nibbles of ql with qh's bits 0-1 (below) and 2-3 (above),
        // values 64..128 the high nibbles with bits 4-5 and 6-7.
        let m2 = _mm512_set1_epi8(0x30);
        let (up, down) = (half(4, 2), half(0, 2));
        for (n, (ql, qh)) in b[..128]
            .as_chunks::<64>()
            .0
            .iter()
            .zip(b[128..192].as_chunks::<32>().0)
            .enumerate()
        {
            // SAFETY: `ql` spans 64 readable bytes; the load has no alignment requirement.
            let l = unsafe { _mm512_loadu_si512(ql.as_ptr().cast()) };
            let h = _mm512_broadcast_i64x4(load_256(qh));
            let low = _mm512_or_si512(
                _mm512_and_si512(l, m4),
                _mm512_and_si512(_mm512_sllv_epi16(h, up), m2),
            );
            let high = _mm512_or_si512(
                _mm512_and_si512(_mm512_srli_epi16::<4>(l), m4),
                _mm512_and_si512(_mm512_srlv_epi16(h, down), m2),
            );
            k_step(&mut acc, &q, run_scales, 2 * n, low);
            k_step(&mut acc, &q, run_scales, 2 * n + 1, high);
        }
    }
    // Per run of 16, what multiplies its sum: Q6_K's scale · 32 (the levels' + 32 taken back
    // out of the total), or Q4_K's min of its 32 values (the min total).
    let per_run = if shipped == Shipped::Q6_K {
        const { assert!(Q6_K_OFFSET == 1 << 5) };
        _mm512_slli_epi32::<5>(_mm512_cvtepi16_epi32(load_256(&k.scales)))
    } else {
        let pairs = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
        let mins = _mm256_cvtepi16_epi32(load_128(&k.mins));
        _mm512_permutexvar_epi32(pairs, _mm512_castsi256_si512(mins))
    };
    let mut totals = [(0, 0); N];
    for ((out, acc), sums) in totals.iter_mut().zip(acc).zip(sums) {
        // SAFETY: `sums` spans 64 readable bytes; the load has no alignment requirement.
        let sums = unsafe { _mm512_loadu_si512(sums.as_ptr().cast()) };
        let by_run = _mm512_reduce_add_epi32(_mm512_mullo_epi32(per_run, sums));
        let total = _mm512_reduce_add_epi32(acc);
        *out = if shipped == Shipped::Q6_K {
            (total.wrapping_sub(by_run), 0)
        } else {
            (total, by_run)
        };
    }
    totals
}

/// `lo` in the 16-bit lanes of the low 256 bits, `hi` in those of the high.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn half(lo: i16, hi: i16) -> __m512i {
    _mm512_mask_blend_epi16(0xffff_0000, _mm512_set1_epi16(lo), _mm512_set1_epi16(hi))
}

/// Adds step `c`'s 64 unsigned levels `w` times each row's activations, scaled by runs 4c to
/// 4c + 3, into `acc`: maddubs adds neighbours into i16 (never saturating, as on AVX2), and madd
/// by the scales adds those pairs into i32.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn k_step<const N: usize>(
    acc: &mut [__m512i; N],
    q: &[&[[i8; 64]]; N],
    run_scales: __m512i,
    c: usize,
    w: __m512i,
) {
    // 16-bit lane i takes run 4c + i / 8: eight i16 pairs per run of 16 values.
    let runs = _mm512_add_epi16(
        _mm512_srli_epi16::<3>(_mm512_set_epi16(
            31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10,
            9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
        )),
        _mm512_set1_epi16(4 * c as i16),
    );
    let s = _mm512_permutexvar_epi16(runs, run_scales);
    for (acc, q) in acc.iter_mut().zip(q) {
        // SAFETY: each chunk spans 64 readable bytes; the load has no alignment requirement.
        let x = unsafe { _mm512_loadu_si512(q[c].as_ptr().cast()) };
        let pairs = _mm512_maddubs_epi16(w, x);
        *acc = _mm512_add_epi32(*acc, _mm512_madd_epi16(pairs, s));
    }
}

/// What every step needs to know about the matrix.
#[derive(Clone, Copy)]
struct Layout {
    cols: usize,
    /// Bytes of one weight row.
    row_bytes: usize,
    /// Blocks per row.
    blocks: usize,
}

/// Runs the register blocks of an Int4 tile. `B` is the block in runs of 32 values (1, 2 or 4).
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
fn tile_b<const B: usize>(w: &[u8], w_scales: &[f16], x: &[ActRow], outs: &mut [&mut [f32]]) {
    let Some(cols) = x.first().map(|x| x.q.len()) else {
        return;
    };
    let l = Layout {
        cols,
        row_bytes: cols / 2,
        blocks: cols / (B * 32),
    };
    let rows = w.len() / l.row_bytes;
    // What the raw reads in `micro` rely on.
    assert!(cols.is_multiple_of(B * 32) && (B == 1 || cols.is_multiple_of(STEP)));
    assert!(w.len() == rows * l.row_bytes && w_scales.len() == rows * l.blocks);
    assert!(
        x.iter()
            .all(|x| x.q.len() == cols && x.scales.len() == l.blocks)
    );
    assert!(outs.len() == x.len() && outs.iter().all(|o| o.len() >= rows));
    // A single activation row (decode) is bound by reading the weights: one row at a time reads
    // them as one sequential stream. Each output's operations do not depend on the block shape,
    // so this changes no result.
    let row_step = if x.len() == 1 { 1 } else { ROWS };
    // Token groups outside, row groups inside: the tile's weights stay in L1/L2 and a group of
    // activation rows in L1.
    for t0 in (0..x.len()).step_by(TOKENS) {
        let nt = (x.len() - t0).min(TOKENS);
        for r0 in (0..rows).step_by(row_step) {
            let nr = (rows - r0).min(row_step);
            let w = &w[r0 * l.row_bytes..];
            let ws = &w_scales[r0 * l.blocks..];
            let x = &x[t0..t0 + nt];
            let mut out = [[0.0f32; ROWS]; TOKENS];
            macro_rules! block {
                ($($r:literal, $t:literal);*) => {
                    match (nr, nt) {
                        // SAFETY: the asserts above, and nr rows of w and ws from r0 on.
                        $(($r, $t) => unsafe {
                            micro::<B, $r, $t>(l, w.as_ptr(), ws.as_ptr(), x, &mut out)
                        },)*
                        _ => unreachable!("register blocks are at most {ROWS} × {TOKENS}"),
                    }
                };
            }
            block!(4, 4; 4, 3; 4, 2; 4, 1; 3, 4; 3, 3; 3, 2; 3, 1;
                   2, 4; 2, 3; 2, 2; 2, 1; 1, 4; 1, 3; 1, 2; 1, 1);
            if (nr, nt) == (1, 1) {
                // Decode: no call to memcpy for one value per weight row (5 % of a decode step in perf).
                outs[t0][r0] = out[0][0];
            } else {
                for (t, out_t) in out.iter().enumerate().take(nt) {
                    outs[t0 + t][r0..r0 + nr].copy_from_slice(&out_t[..nr]);
                }
            }
        }
    }
}

/// `out[t][r]` = Σ w_r·x_t for R weight rows (bytes from `w`, f16 scales from `ws`, each row
/// `l.row_bytes` / `l.blocks` after the previous) and T activation rows.
///
/// # Safety
/// `w` and `ws` must hold R rows, `x` T rows, all of `l`'s shape; the CPU must have AVX-512
/// F/BW/VNNI.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
#[inline]
unsafe fn micro<const B: usize, const R: usize, const T: usize>(
    l: Layout,
    w: *const u8,
    ws: *const f16,
    x: &[ActRow],
    out: &mut [[f32; ROWS]; TOKENS],
) {
    let mut acc = [[_mm512_setzero_ps(); T]; R];
    let xq: [*const i8; T] = std::array::from_fn(|t| x[t].q.as_ptr());
    let xs: [*const f32; T] = std::array::from_fn(|t| x[t].scales.as_ptr());
    let full = l.cols / STEP;
    for s in 0..full {
        // SAFETY: step s < full lies inside every row (the caller's contract).
        unsafe { step::<B, R, T, false>(l, w, ws, xq, xs, s, &mut acc) };
    }
    if full * STEP < l.cols {
        // SAFETY: as above, for the half step that B = 1 allows at the end.
        unsafe { step::<B, R, T, true>(l, w, ws, xq, xs, full, &mut acc) };
    }
    for (r, acc) in acc.iter().enumerate() {
        for (t, &acc) in acc.iter().enumerate() {
            out[t][r] = _mm512_reduce_add_ps(acc);
        }
    }
}

/// One step of 64 values (`HALF`: the last 32 of a row) for every accumulator.
///
/// # Safety
/// As [`micro`], and step `s` must lie inside the rows.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
#[inline]
unsafe fn step<const B: usize, const R: usize, const T: usize, const HALF: bool>(
    l: Layout,
    w: *const u8,
    ws: *const f16,
    xq: [*const i8; T],
    xs: [*const f32; T],
    s: usize,
    acc: &mut [[__m512; T]; R],
) {
    let zero = _mm512_setzero_si512();
    let offset = _mm512_set1_epi8(8);
    let mut wv = [zero; R];
    let mut wsv = [_mm512_setzero_ps(); R];
    for r in 0..R {
        // SAFETY: row r of R, step s inside it.
        unsafe {
            wv[r] = weights::<HALF>(w.add(r * l.row_bytes), s);
            wsv[r] = f16_scales::<B, HALF>(ws.add(r * l.blocks), s);
        }
    }
    for t in 0..T {
        // SAFETY: as above, for activation row t.
        let (xv, xsv) = unsafe {
            (
                load::<HALF>(xq[t].add(s * STEP).cast()),
                scales::<B, HALF>(xs[t], s),
            )
        };
        let start = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, offset, xv));
        for r in 0..R {
            let dots = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(start, wv[r], xv));
            acc[r][t] = _mm512_fmadd_ps(dots, _mm512_mul_ps(wsv[r], xsv), acc[r][t]);
        }
    }
}

/// Step `s` of the Int4 weight row at `row` as 64 unsigned bytes (the stored `q + 8`), in the
/// order of the activation values; the missing half of a `HALF` step is zero.
///
/// # Safety
/// The step's bytes must be readable.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn weights<const HALF: bool>(row: *const u8, s: usize) -> __m512i {
    // Two runs of 16 nibble bytes: run k's low nibbles are its values 0..16, high 16..32.
    let mask = _mm256_set1_epi8(0x0f);
    // SAFETY: a step has 32 bytes, a half step 16.
    let v = unsafe {
        let p = row.add(s * STEP / 2);
        if HALF {
            _mm256_zextsi128_si256(_mm_loadu_si128(p.cast()))
        } else {
            _mm256_loadu_si256(p.cast())
        }
    };
    let (lo, hi) = (
        _mm256_and_si256(v, mask),
        _mm256_and_si256(_mm256_srli_epi16::<4>(v), mask),
    );
    // Quadwords [lo0 lo1 hi0 hi1 lo2 lo3 hi2 hi3]: run 0 then run 1, each in value order.
    let order = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    _mm512_permutex2var_epi64(
        _mm512_zextsi256_si512(lo),
        order,
        _mm512_zextsi256_si512(hi),
    )
}

/// 64 bytes, or 32 and zeros.
///
/// # Safety
/// As many bytes must be readable; no alignment is needed.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn load<const HALF: bool>(p: *const u8) -> __m512i {
    // SAFETY: the caller's contract; masked-off bytes are not read.
    unsafe {
        if HALF {
            _mm512_maskz_loadu_epi8(0xffff_ffff, p.cast())
        } else {
            _mm512_loadu_si512(p.cast())
        }
    }
}

/// [`scales`] from a weight row's f16 scales, converted here rather than stored twice.
///
/// # Safety
/// The step's scales must be readable.
#[target_feature(enable = "avx512f,f16c")]
#[inline]
unsafe fn f16_scales<const B: usize, const HALF: bool>(p: *const f16, s: usize) -> __m512 {
    // SAFETY: the caller's contract; f16 is two bytes.
    unsafe {
        let p = p.cast::<u16>();
        if B == 1 && !HALF {
            // The step's two scales as lanes 0 and 1, then each spread over its half.
            let two = _mm_cvtph_ps(_mm_cvtsi32_si128(
                p.add(2 * s).cast::<i32>().read_unaligned(),
            ));
            let halves = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
            _mm512_permutexvar_ps(halves, _mm512_castps128_ps512(two))
        } else {
            let i = if B == 1 { 2 * s } else { s * 2 / B };
            let one = _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(*p.add(i))));
            let all = _mm512_broadcastss_ps(one);
            if HALF {
                _mm512_maskz_mov_ps(0x00ff, all)
            } else {
                all
            }
        }
    }
}

/// Each lane's block scale for step `s` (lanes of four values; 0 past the row's end), from a
/// row's scales at `p`, B runs of 32 values per block.
///
/// # Safety
/// The step's scales must be readable.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn scales<const B: usize, const HALF: bool>(p: *const f32, s: usize) -> __m512 {
    // SAFETY: the caller's contract.
    unsafe {
        match B {
            1 if HALF => _mm512_maskz_mov_ps(0x00ff, _mm512_set1_ps(*p.add(2 * s))),
            1 => _mm512_mask_blend_ps(
                0xff00,
                _mm512_set1_ps(*p.add(2 * s)),
                _mm512_set1_ps(*p.add(2 * s + 1)),
            ),
            _ => _mm512_set1_ps(*p.add(s * 2 / B)),
        }
    }
}
