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
//! The float order, the same on every kernel path and at every thread count from two (at one
//! thread, where flex runs them, the outputs differ by f32 rounding), is [`kernels::matmul`]'s.

#[cfg(feature = "flex")]
use burn::backend::Flex;
use burn::prelude::*;
#[cfg(feature = "flex")]
use burn::tensor::DType;
#[cfg(feature = "flex")]
use kernels::{matmul::gemm, packed::Kernel};

#[cfg(feature = "flex")]
use crate::host;

/// burn-flex 0.22.1's `PARALLEL_THRESHOLD` (m·n·k): from there on flex threads the matmul itself.
pub const FLEX_THREADS_FROM: usize = 192 * 192 * 192;

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

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::tensor::DType;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn random(len: usize, rng: &mut StdRng) -> Vec<f32> {
        (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

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
