//! The fused attention of one decode row and key head over plain slices: scores, softmax and
//! the weighted values in one pass, reading each key and value once (the model's
//! `cpu_kernels::decode_attention` hands it the cache's storage in place).
//!
//! A hidden key is skipped, never added as a zero, so a row's output does not depend on how many
//! slots its batch carries. The order of the float operations is the same on every kernel path
//! and at every thread count (f32 multiplies then adds, no FMA):
//! - a score is `Σ_d q[d]·k[d]` in [`LANES`] partial sums (lane `d mod LANES`, ascending `d`),
//!   added pairwise (lane `l` gets lane `l + w` for `w = LANES/2, …, 1`), times the scale, then
//!   softcapped when the model has a cap;
//! - the softmax subtracts the largest visible score, sums the `exp`s in ascending key order and
//!   divides each by the sum;
//! - each output adds `p_j·v_j[d]` in ascending `j`, starting from 0.

use crate::packed::Kernel;

/// Partial sums of a score (two AVX-512 registers of f32: two chains of adds in flight).
pub const LANES: usize = 32;

/// The keys (or values) of one row and key head: key `j` is `values[start + j·stride..][..hd]`.
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    pub values: &'a [f32],
    pub start: usize,
    pub stride: usize,
}

impl Rows<'_> {
    #[inline(always)]
    fn key(&self, j: usize, hd: usize) -> &[f32] {
        &self.values[self.start + j * self.stride..][..hd]
    }
}

/// One row and key head's inputs.
#[derive(Clone, Copy)]
pub struct Head<'a> {
    /// `[rows, hd]`.
    pub q: &'a [f32],
    pub k: Rows<'a>,
    pub v: Rows<'a>,
    /// `[rows, n]`: may query row `r` see key `j`.
    pub visible: &'a [bool],
    pub hd: usize,
    pub scale: f32,
    pub softcap: Option<f32>,
}

/// `out: [rows, hd]` of one row and key head, in the order the module documents.
pub fn head_attend(kernel: Kernel, head: Head, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f")]
        fn avx512(head: Head, out: &mut [f32]) {
            // SAFETY: this function runs only where AVX-512F is.
            head_attend_ref(head, out, |a, b| unsafe { simd::dot_avx512(a, b) })
        }
        #[target_feature(enable = "avx2")]
        fn avx2(head: Head, out: &mut [f32]) {
            // SAFETY: this function runs only where AVX2 is.
            head_attend_ref(head, out, |a, b| unsafe { simd::dot_avx2(a, b) })
        }
        match kernel {
            // SAFETY: an `Avx512` kernel exists only on a CPU with AVX-512F.
            Kernel::Avx512(_) => return unsafe { avx512(head, out) },
            // SAFETY: an `Avx2` kernel exists only on a CPU with AVX2.
            Kernel::Avx2(_) => return unsafe { avx2(head, out) },
            Kernel::Scalar => {}
        }
    }
    let _ = kernel;
    head_attend_ref(head, out, dot)
}

/// The one body every path compiles.
#[inline(always)]
fn head_attend_ref(head: Head, out: &mut [f32], dot: impl Fn(&[f32], &[f32]) -> f32) {
    let Head {
        q,
        k,
        v,
        visible,
        hd,
        scale,
        softcap,
    } = head;
    let rows = q.len() / hd;
    let n = visible.len() / rows;
    let seen = |j: usize| (0..rows).any(|r| visible[r * n + j]);
    // Scores, then probabilities, `[rows, n]`.
    let mut p = vec![0.0f32; rows * n];
    for j in (0..n).filter(|&j| seen(j)) {
        let key = k.key(j, hd);
        for r in (0..rows).filter(|&r| visible[r * n + j]) {
            let s = dot(&q[r * hd..][..hd], key) * scale;
            p[r * n + j] = match softcap {
                Some(cap) => (s / cap).tanh() * cap,
                None => s,
            };
        }
    }
    for (pr, vis) in p.chunks_exact_mut(n).zip(visible.chunks_exact(n)) {
        let max = pr
            .iter()
            .zip(vis)
            .filter(|(_, v)| **v)
            .fold(f32::NEG_INFINITY, |m, (&s, _)| m.max(s));
        let mut sum = 0.0f32;
        for (s, _) in pr.iter_mut().zip(vis).filter(|(_, v)| **v) {
            *s = (*s - max).exp();
            sum += *s;
        }
        for (s, _) in pr.iter_mut().zip(vis).filter(|(_, v)| **v) {
            *s /= sum;
        }
    }
    out.fill(0.0);
    for j in (0..n).filter(|&j| seen(j)) {
        let value = v.key(j, hd);
        for r in (0..rows).filter(|&r| visible[r * n + j]) {
            let pj = p[r * n + j];
            for (o, &x) in out[r * hd..][..hd].iter_mut().zip(value) {
                *o += pj * x;
            }
        }
    }
}

/// `Σ a[d]·b[d]` in [`LANES`] partial sums added pairwise; the last `len mod LANES` terms are
/// summed in order and added last. The SIMD paths compute exactly this.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail = tail(ca.remainder(), cb.remainder());
    let mut lanes = [0.0f32; LANES];
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            lanes[l] += x[l] * y[l];
        }
    }
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for l in 0..w {
            lanes[l] += lanes[l + w];
        }
    }
    lanes[0] + tail
}

#[inline(always)]
fn tail(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).fold(0.0f32, |s, (x, y)| s + x * y)
}

/// [`dot`] in registers: lanes `0..16` and `16..32` (AVX-512), or four groups of eight (AVX2).
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    use super::{LANES, tail};

    /// Lane `l` of the result is `l + (l + 4)` of `x`, then `l + (l + 2)`, then `l + (l + 1)`:
    /// the last three pairwise steps of [`super::dot`].
    #[inline]
    #[target_feature(enable = "avx2")]
    fn reduce8(x: __m256) -> f32 {
        let s4 = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps::<1>(x));
        let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps::<1>(s2, s2)))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn dot_avx512(a: &[f32], b: &[f32]) -> f32 {
        let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
        let tail = tail(ca.remainder(), cb.remainder());
        let (mut lo, mut hi) = (_mm512_setzero_ps(), _mm512_setzero_ps());
        for (x, y) in ca.zip(cb) {
            // SAFETY: `x` and `y` hold LANES = 32 f32 each.
            let load = |p: &[f32], at: usize| unsafe { _mm512_loadu_ps(p.as_ptr().add(at)) };
            lo = _mm512_add_ps(lo, _mm512_mul_ps(load(x, 0), load(y, 0)));
            hi = _mm512_add_ps(hi, _mm512_mul_ps(load(x, 16), load(y, 16)));
        }
        let s16 = _mm512_add_ps(lo, hi);
        let upper = _mm512_extractf64x4_pd::<1>(_mm512_castps_pd(s16));
        let s8 = _mm256_add_ps(_mm512_castps512_ps256(s16), _mm256_castpd_ps(upper));
        reduce8(s8) + tail
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
        let tail = tail(ca.remainder(), cb.remainder());
        let mut acc = [_mm256_setzero_ps(); 4];
        for (x, y) in ca.zip(cb) {
            for (g, acc) in acc.iter_mut().enumerate() {
                // SAFETY: `x` and `y` hold LANES = 32 f32 each.
                let (x, y) = unsafe {
                    (
                        _mm256_loadu_ps(x.as_ptr().add(8 * g)),
                        _mm256_loadu_ps(y.as_ptr().add(8 * g)),
                    )
                };
                *acc = _mm256_add_ps(*acc, _mm256_mul_ps(x, y));
            }
        }
        let s8 = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
        reduce8(s8) + tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn random(len: usize, rng: &mut StdRng) -> Vec<f32> {
        (0..len).map(|_| rng.random_range(-2.0..2.0)).collect()
    }

    fn contiguous(values: &[f32], hd: usize) -> Rows<'_> {
        Rows {
            values,
            start: 0,
            stride: hd,
        }
    }

    /// The documented order, written out element by element (`k`, `v`: `[n, hd]`).
    fn reference(q: &[f32], k: &[f32], v: &[f32], visible: &[bool], hd: usize) -> Vec<f32> {
        let (scale, cap) = (0.0625f32, 5.0f32);
        let rows = q.len() / hd;
        let n = visible.len() / rows;
        let body = hd - hd % LANES;
        let mut out = vec![0.0f32; rows * hd];
        for r in 0..rows {
            let seen: Vec<usize> = (0..n).filter(|&j| visible[r * n + j]).collect();
            let mut p: Vec<f32> = seen
                .iter()
                .map(|&j| {
                    let mut lane = [0.0f32; LANES];
                    for d in 0..body {
                        lane[d % LANES] += q[r * hd + d] * k[j * hd + d];
                    }
                    let mut tail = 0.0f32;
                    for d in body..hd {
                        tail += q[r * hd + d] * k[j * hd + d];
                    }
                    for w in [16, 8, 4, 2, 1] {
                        for l in 0..w {
                            lane[l] += lane[l + w];
                        }
                    }
                    ((lane[0] + tail) * scale / cap).tanh() * cap
                })
                .collect();
            let max = p.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
            let mut sum = 0.0f32;
            for s in &mut p {
                *s = (*s - max).exp();
                sum += *s;
            }
            for (&j, s) in seen.iter().zip(&p) {
                for d in 0..hd {
                    out[r * hd + d] += s / sum * v[j * hd + d];
                }
            }
        }
        out
    }

    #[test]
    fn every_kernel_gives_the_documented_bits() {
        let mut rng = StdRng::seed_from_u64(11);
        let kernels = Kernel::available();
        println!(
            "attention paths exercised: {:?}",
            kernels.iter().map(|k| k.name()).collect::<Vec<_>>()
        );
        // Gemma's decode shape, one key, a head size with a tail, every query row allowed.
        for (rows, n, hd) in [(4, 700, 256), (1, 1, 256), (16, 33, 40), (3, 65, 32)] {
            let (q, k, v) = (
                random(rows * hd, &mut rng),
                random(n * hd, &mut rng),
                random(n * hd, &mut rng),
            );
            // Each row sees its first key and a random subset of the rest.
            let visible: Vec<bool> = (0..rows * n)
                .map(|i| i % n == 0 || rng.random_bool(0.7))
                .collect();
            let want = reference(&q, &k, &v, &visible, hd);
            for &kernel in &kernels {
                let mut got = vec![f32::NAN; rows * hd];
                let head = Head {
                    q: &q,
                    k: contiguous(&k, hd),
                    v: contiguous(&v, hd),
                    visible: &visible,
                    hd,
                    scale: 0.0625,
                    softcap: Some(5.0),
                };
                head_attend(kernel, head, &mut got);
                assert!(
                    got.iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{} at rows {rows}, n {n}, hd {hd}",
                    kernel.name()
                );
            }
        }
    }
}
