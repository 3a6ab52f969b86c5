//! f32 `x · W` on rayon's pool, over plain slices, in a fixed float order.
//!
//! Order of the float sums, the same on every kernel path and at every thread count: the rows
//! of `W` are cut into fixed chunks of [`CHUNK`]; within a chunk each output adds `x[t, i]·W[i, j]`
//! in ascending `i` (an f32 multiply, then an f32 add: no FMA), starting from 0; the chunks' sums
//! are then added in ascending order.

use rayon::prelude::*;

use crate::packed::Kernel;

/// Weight rows per task: contiguous memory to stream (64 KiB at 256 columns, 512 KiB at 2048), and
/// a fixed split, so the sums do not depend on the thread count.
pub const CHUNK: usize = 64;

/// `[m, k] · [k, n] -> [m, n]`, row-major, in the order the module documents.
pub fn gemm(x: &[f32], w: &[f32], m: usize, k: usize, n: usize, kernel: Kernel) -> Vec<f32> {
    assert_eq!((x.len(), w.len()), (m * k, k * n), "gemm shapes");
    let partials: Vec<Vec<f32>> = (0..k.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let rows = c * CHUNK..((c + 1) * CHUNK).min(k);
            let mut acc = vec![0.0f32; m * n];
            chunk_sum(
                kernel,
                x,
                &w[rows.start * n..rows.end * n],
                rows.start,
                k,
                &mut acc,
            );
            acc
        })
        .collect();
    let mut parts = partials.into_iter();
    let mut out = parts.next().unwrap_or_else(|| vec![0.0; m * n]);
    for p in parts {
        for (o, v) in out.iter_mut().zip(p) {
            *o += v;
        }
    }
    out
}

/// `acc[t, j] += Σ_{i in chunk} x[t, row0 + i]·w[i, j]` for the chunk's rows `w` (`[rows, n]`).
fn chunk_sum(kernel: Kernel, x: &[f32], w: &[f32], row0: usize, k: usize, acc: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f")]
        fn avx512(x: &[f32], w: &[f32], row0: usize, k: usize, acc: &mut [f32]) {
            chunk_sum_ref(x, w, row0, k, acc)
        }
        #[target_feature(enable = "avx2")]
        fn avx2(x: &[f32], w: &[f32], row0: usize, k: usize, acc: &mut [f32]) {
            chunk_sum_ref(x, w, row0, k, acc)
        }
        match kernel {
            // SAFETY: an `Avx512` kernel exists only on a CPU with AVX-512F.
            Kernel::Avx512(_) => return unsafe { avx512(x, w, row0, k, acc) },
            // SAFETY: an `Avx2` kernel exists only on a CPU with AVX2.
            Kernel::Avx2(_) => return unsafe { avx2(x, w, row0, k, acc) },
            Kernel::Scalar => {}
        }
    }
    let _ = kernel;
    chunk_sum_ref(x, w, row0, k, acc)
}

/// The one body every path compiles (vectorized over `j`, so the order over `i` is kept). Rows go
/// [`UNROLL`] at a time, so each output is loaded and stored once per [`UNROLL`] rows.
#[inline(always)]
fn chunk_sum_ref(x: &[f32], w: &[f32], row0: usize, k: usize, acc: &mut [f32]) {
    let n = acc.len() / (x.len() / k);
    let groups = w.chunks_exact(UNROLL * n);
    let rest = groups.remainder();
    for (g, group) in groups.enumerate() {
        let rows: [&[f32]; UNROLL] = std::array::from_fn(|r| &group[r * n..(r + 1) * n]);
        let i = row0 + UNROLL * g;
        for (out, xr) in acc.chunks_exact_mut(n).zip(x.chunks_exact(k)) {
            let a: [f32; UNROLL] = std::array::from_fn(|r| xr[i + r]);
            for (j, o) in out.iter_mut().enumerate() {
                let mut s = *o;
                for r in 0..UNROLL {
                    s += a[r] * rows[r][j];
                }
                *o = s;
            }
        }
    }
    let i0 = row0 + (w.len() - rest.len()) / n;
    for (i, row) in rest.chunks_exact(n).enumerate() {
        for (out, xr) in acc.chunks_exact_mut(n).zip(x.chunks_exact(k)) {
            let a = xr[i0 + i];
            for (o, &v) in out.iter_mut().zip(row) {
                *o += a * v;
            }
        }
    }
}

/// Weight rows per pass over the outputs.
const UNROLL: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// The documented order, written out element by element.
    fn reference(x: &[f32], w: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; m * n];
        for t in 0..m {
            for j in 0..n {
                let mut total = 0.0f32;
                for c in (0..k).step_by(CHUNK) {
                    let mut s = 0.0f32;
                    for i in c..(c + CHUNK).min(k) {
                        s += x[t * k + i] * w[i * n + j];
                    }
                    total = if c == 0 { s } else { total + s };
                }
                out[t * n + j] = total;
            }
        }
        out
    }

    fn random(len: usize, rng: &mut StdRng) -> Vec<f32> {
        (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    #[test]
    fn every_kernel_gives_the_documented_bits() {
        let mut rng = StdRng::seed_from_u64(7);
        let kernels = Kernel::available();
        println!(
            "f32 paths exercised: {:?}",
            kernels.iter().map(|k| k.name()).collect::<Vec<_>>()
        );
        // Odd sizes: a partial chunk, columns off the vector width, one row, one column.
        for (m, k, n) in [
            (1, 640, 2048),
            (5, 130, 37),
            (3, 1, 17),
            (2, 64, 1),
            (4, 193, 256),
        ] {
            let (x, w) = (random(m * k, &mut rng), random(k * n, &mut rng));
            let want = reference(&x, &w, m, k, n);
            for &kernel in &kernels {
                let got = gemm(&x, &w, m, k, n, kernel);
                assert!(
                    got.iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{} at [{m}, {k}] x [{k}, {n}]",
                    kernel.name()
                );
            }
        }
    }

    #[test]
    fn the_same_bits_on_any_number_of_threads() {
        let mut rng = StdRng::seed_from_u64(8);
        let (m, k, n) = (2, 700, 300);
        let (x, w) = (random(m * k, &mut rng), random(k * n, &mut rng));
        let kernel = Kernel::selected().unwrap();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| gemm(&x, &w, m, k, n, kernel))
        };
        assert_eq!(on(1), on(3));
    }
}
