//! f32 `x · W` on every thread for the decode-shaped matmuls flex runs on one.
//!
//! burn-flex 0.22.1 hands a matmul to `gemm` on rayon only when m·n·k ≥ 192³ (its
//! `PARALLEL_THRESHOLD`, not configurable); below that it runs on the calling thread. So does
//! every layer projection of a decode step (`[1..5, 640] × [640, 2048]`, …), which is bound by
//! reading its weights. On flex, in f32 and without autodiff, with two threads or more,
//! [`matmul`] runs those shapes on rayon's pool instead, reading the weight in place from flex's
//! storage. Everything else (other backends, dtypes, shapes, an autodiff graph) is left to Burn's
//! matmul.
//!
//! Order of the float sums, the same on every kernel path and at every thread count (so at one
//! thread, where flex runs them, the outputs differ from these by f32 rounding): the rows
//! of `W` are cut into fixed chunks of [`CHUNK`]; within a chunk each output adds `x[t, i]·W[i, j]`
//! in ascending `i` (an f32 multiply, then an f32 add: no FMA), starting from 0; the chunks' sums
//! are then added in ascending order.

#[cfg(feature = "flex")]
use burn::backend::Flex;
use burn::prelude::*;
use burn::tensor::DType;
use rayon::prelude::*;

#[cfg(feature = "flex")]
use crate::host;
use crate::packed::Kernel;

/// burn-flex 0.22.1's `PARALLEL_THRESHOLD` (m·n·k): from there on flex threads the matmul itself.
pub const FLEX_THREADS_FROM: usize = 192 * 192 * 192;

/// Weight rows per task: contiguous memory to stream (64 KiB at 256 columns, 512 KiB at 2048), and
/// a fixed split, so the sums do not depend on the thread count.
pub const CHUNK: usize = 64;

/// `[b, t, k] · [k, n] -> [b, t, n]` on every thread, or `None` where flex threads it itself or
/// this does not apply (one thread, not flex, not f32, autodiff, a weight that is a strided view).
#[cfg(feature = "flex")]
pub fn matmul(x: &Tensor<3>, w: &Tensor<2>) -> Option<Tensor<3>> {
    let [b, t, k] = x.dims();
    let [wk, n] = w.dims();
    let m = b * t;
    // On one thread flex's own kernel streams a single row faster (`f32_projections` bench).
    let one_thread = rayon::current_num_threads() < 2;
    if one_thread || wk != k || m * n * k >= FLEX_THREADS_FROM || x.dtype() != DType::F32 {
        return None;
    }
    let weight = w.clone().try_into_primitive::<Flex>().ok()?;
    let values = weight.as_slice::<f32>()?;
    // An x on another backend or in a graph would be an error in Burn's matmul too: leave it there.
    x.clone().try_into_primitive::<Flex>().ok()?;
    // Only a GEMMA_KERNEL this CPU cannot run fails here, and loading the model refused it.
    let kernel = Kernel::selected().ok()?;
    let xs = host::to_vec(x.clone()).ok()?;
    let out = gemm(&xs, values, m, k, n, kernel);
    Some(Tensor::from_data(
        TensorData::new(out, [b, t, n]),
        &x.device(),
    ))
}

/// Without flex compiled in, every matmul is Burn's.
#[cfg(not(feature = "flex"))]
pub fn matmul(_: &Tensor<3>, _: &Tensor<2>) -> Option<Tensor<3>> {
    None
}

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
    #[cfg(feature = "flex")]
    use crate::host;
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

    #[cfg(feature = "flex")]
    #[test]
    fn flex_decode_shapes_match_burns_matmul_and_the_rest_is_left_to_it() {
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        pool(2).install(flex_decode_shapes);
        let (x, w) = (
            Tensor::<3>::zeros([1, 1, 64], &Device::flex()),
            Tensor::<2>::zeros([64, 64], &Device::flex()),
        );
        assert!(
            pool(1).install(|| matmul(&x, &w)).is_none(),
            "one thread is flex's"
        );
    }

    #[cfg(feature = "flex")]
    fn flex_decode_shapes() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(9);
        let (k, n) = (640, 1024);
        let w = Tensor::<2>::from_data(TensorData::new(random(k * n, &mut rng), [k, n]), &device);
        let x =
            Tensor::<3>::from_data(TensorData::new(random(2 * k, &mut rng), [1, 2, k]), &device);
        let ours = host::to_vec(matmul(&x, &w).expect("a decode shape on flex")).unwrap();
        let burn = host::to_vec(x.clone().matmul(w.clone().unsqueeze())).unwrap();
        let worst = ours
            .iter()
            .zip(&burn)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-4, "max |Δ| {worst} against flex's matmul");

        // Shapes flex threads itself, a transposed (strided) weight, autodiff, other dtypes.
        let big = Tensor::<3>::zeros([1, 64, k], &device);
        assert!(matmul(&big, &w).is_none(), "m·n·k ≥ 192³ is flex's");
        let strided = Tensor::<2>::zeros([n, k], &device).transpose();
        assert!(matmul(&x, &strided).is_none(), "a strided weight");
        let ad = device.clone().autodiff();
        let xa = Tensor::<3>::from_data(x.to_data(), &ad);
        let wa = Tensor::<2>::from_data(w.to_data(), &ad);
        assert!(matmul(&xa, &wa).is_none(), "autodiff");
        assert!(matmul(&x.clone().cast(DType::BF16), &w.cast(DType::BF16)).is_none());
    }
}
