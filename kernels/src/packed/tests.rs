//! Accuracy and exactness of the packed formats and matmul against f64 references.

use super::format::GROUP;
use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const FORMATS: [PackedFormat; 6] = [
    PackedFormat::Int8 { block: 32 },
    PackedFormat::Int8 { block: 64 },
    PackedFormat::Int8 { block: 128 },
    PackedFormat::Int4 { block: 32 },
    PackedFormat::Int4 { block: 64 },
    PackedFormat::Int4 { block: 128 },
];

/// Gaussian-ish values whose magnitude varies by row and block (from 1e-4 to 1e2, some all-zero
/// blocks, occasional outliers), so scales span a wide range, f16 subnormals included.
fn weights(rng: &mut StdRng, rows: usize, cols: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(rows * cols);
    for _ in 0..rows * cols / GROUP {
        let magnitude = match rng.random_range(0..10) {
            0 => 0.0,
            1 => 1e-4,
            2 => 100.0,
            _ => 0.05,
        };
        for _ in 0..GROUP {
            let outlier = if rng.random_range(0..200) == 0 {
                8.0
            } else {
                1.0
            };
            v.push((rng.random::<f32>() + rng.random::<f32>() - 1.0) * magnitude * outlier);
        }
    }
    v
}

fn activations(rng: &mut StdRng, len: usize) -> Vec<f32> {
    (0..len)
        .map(|_| (rng.random::<f32>() - 0.5) * 4.0)
        .collect()
}

#[test]
fn dequantized_values_are_within_half_a_step() {
    let mut rng = StdRng::seed_from_u64(1);
    for format in FORMATS {
        let (rows, cols) = (9, 256);
        let x = weights(&mut rng, rows, cols);
        let m = PackedMatrix::quantize(&x, rows, cols, format).unwrap();
        let y = m.dequantize();
        for (b, (x, y)) in x
            .chunks(format.block())
            .zip(y.chunks(format.block()))
            .enumerate()
        {
            let d = m.scales[b].to_f64();
            let max_level = y
                .iter()
                .map(|&y| (y as f64 / d).round().abs())
                .fold(0.0, f64::max);
            assert!(
                d == 0.0 || max_level <= format.q_max() as f64,
                "{format:?} block {b}: level {max_level}"
            );
            for (&x, &y) in x.iter().zip(y) {
                assert!(
                    (x as f64 - y as f64).abs() <= d / 2.0 * (1.0 + 1e-6),
                    "{format:?} block {b}: {x} → {y}, scale {d}"
                );
            }
        }
    }
}

#[test]
fn sizes_count_values_and_scales() {
    let x = vec![0.5f32; 4 * 256];
    for (format, bits) in [
        (FORMATS[0], 8.5),
        (FORMATS[2], 8.125),
        (FORMATS[3], 4.5),
        (FORMATS[4], 4.25),
        (PackedFormat::Shipped(Shipped::Q8_0), 8.5),
        (PackedFormat::Shipped(Shipped::Q4_0), 4.5),
    ] {
        let m = PackedMatrix::quantize(&x, 4, 256, format).unwrap();
        assert_eq!((m.rows(), m.cols(), m.format()), (4, 256, format));
        assert_eq!(m.bits_per_weight(), bits, "{format:?}");
        assert_eq!(m.bytes() as f64, bits * 4.0 * 256.0 / 8.0);
    }
}

/// x · Wᵀ in f64 with the dequantized weights, and per output the bound on what quantizing x per
/// block to int8 can change: each x_j moves by at most its block's x_scale / 2 = max|x| / 254, so
/// an output moves by at most Σ_j |w_j| · x_scale(j) / 2. On top, f32 rounding of the ~cols/block
/// scaled block sums: 1e-5 of Σ |w_j| (|x_j| + x_scale(j)).
fn reference(
    w: &[f32],
    x: &[f32],
    n: usize,
    rows: usize,
    cols: usize,
    block: usize,
) -> (Vec<f64>, Vec<f64>) {
    let mut want = vec![0.0; n * rows];
    let mut tol = vec![0.0; n * rows];
    for i in 0..n {
        let x = &x[i * cols..][..cols];
        let x_scale: Vec<f64> = x
            .chunks(block)
            .map(|b| b.iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64 / 127.0)
            .collect();
        for r in 0..rows {
            let w = &w[r * cols..][..cols];
            let (mut dot, mut quant, mut magnitude) = (0.0, 0.0, 0.0);
            for j in 0..cols {
                let (w, x, s) = (w[j] as f64, x[j] as f64, x_scale[j / block]);
                dot += w * x;
                quant += w.abs() * s / 2.0;
                magnitude += w.abs() * (x.abs() + s);
            }
            want[i * rows + r] = dot;
            tol[i * rows + r] = quant + 1e-5 * magnitude;
        }
    }
    (want, tol)
}

/// Every kernel this CPU runs, by name, printed so that a log shows which paths a run tested.
fn kernels(test: &str) -> Vec<Kernel> {
    let all = Kernel::available();
    let names: Vec<_> = all.iter().map(|k| k.name()).collect();
    println!("{test}: packed kernels exercised: {}", names.join(", "));
    all
}

#[test]
fn matmul_matches_f64_within_the_activation_rounding_bound() {
    let mut rng = StdRng::seed_from_u64(2);
    for kernel in kernels("matmul_matches_f64") {
        for (rows, cols, n) in [
            (37, 640, 1),
            (100, 1024, 3),
            (33, 2048, 17),
            (65, 640, 17),
            (5, 128, 2),
            (1, 128, 1),
            (6, 384, 6),
        ] {
            for format in FORMATS {
                let w = weights(&mut rng, rows, cols);
                let m = PackedMatrix::quantize(&w, rows, cols, format).unwrap();
                let x = activations(&mut rng, n * cols);
                let got = m.matmul_with(&x, n, kernel).unwrap();
                let (want, tol) = reference(&m.dequantize(), &x, n, rows, cols, format.block());
                for (k, ((&g, &w), &t)) in got.iter().zip(&want).zip(&tol).enumerate() {
                    assert!(
                        (g as f64 - w).abs() <= t,
                        "{kernel:?} {format:?} [{n}, {cols}]x[{rows}]ᵀ at {k}: {g} vs {w} ± {t}"
                    );
                }
            }
        }
    }
}

/// Rows of `cols` integer levels in `[-q_max, q_max]` (or any byte for `raw`), each block
/// reaching ±q_max, times `scale(block)`: quantizing them again gives back these levels and
/// scales exactly.
fn levels(rng: &mut StdRng, len: usize, q_max: i32, block: usize, scale: f32) -> Vec<f32> {
    (0..len)
        .map(|j| {
            let q = if j % block == j / block % block {
                if rng.random() { q_max } else { -q_max }
            } else {
                rng.random_range(-q_max..=q_max)
            };
            q as f32 * scale
        })
        .collect()
}

/// Power-of-two scales and levels at the extremes, -128 included (only GGUF Q8_0 data can hold
/// it), so that every product and partial sum is exact in f32: every kernel must then return the
/// exact integer dot product, which shows that their integer arithmetic is exact (no i16
/// saturation, no lost lane, no tail read past a row), whatever their float order.
#[test]
fn every_kernel_computes_the_exact_integer_dot() {
    let mut rng = StdRng::seed_from_u64(3);
    let shapes = |block| match block {
        32 => vec![(67, 640), (5, 96), (1, 32)],
        b => vec![(67, 640), (3, b)],
    };
    for kernel in kernels("exact_integer_dot") {
        for format in FORMATS {
            for (rows, cols) in shapes(format.block()) {
                let q_max = format.q_max();
                let w = levels(&mut rng, rows * cols, q_max, format.block(), 1.0);
                let mut matrices = vec![PackedMatrix::quantize(&w, rows, cols, format).unwrap()];
                if format == FORMATS[0] {
                    let mut q8_0 = Vec::new();
                    for _ in 0..rows * cols / GROUP {
                        let d = [0.5f32, 1.0, 2.0][rng.random_range(0..3)];
                        q8_0.extend(half::f16::from_f32(d).to_le_bytes());
                        q8_0.extend((0..GROUP).map(|_| rng.random::<u8>()));
                    }
                    matrices.push(PackedMatrix::from_gguf_q8_0(&q8_0, rows, cols).unwrap());
                }
                for m in &matrices {
                    let deq = m.dequantize();
                    for n in [1, 3, 4, 5, 9, 17] {
                        let x = levels(&mut rng, n * cols, 127, format.block(), 1.0);
                        let got = m.matmul_with(&x, n, kernel).unwrap();
                        for (k, &g) in got.iter().enumerate() {
                            let (i, r) = (k / rows, k % rows);
                            let exact: f64 = (0..cols)
                                .map(|j| deq[r * cols + j] as f64 * x[i * cols + j] as f64)
                                .sum();
                            assert_eq!(
                                g as f64, exact,
                                "{kernel:?} {format:?} [{n}, {cols}]x[{rows}]ᵀ at ({i}, {r})"
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Each output depends on its weight row and activation row only, computed the same way in any
/// batch (the engine's batch invariance rests on it), on every kernel.
#[test]
fn every_kernel_gives_a_row_alone_what_it_gives_in_a_batch() {
    let mut rng = StdRng::seed_from_u64(6);
    let (rows, cols, n) = (37, 640, 7);
    for kernel in kernels("batch_invariance") {
        for format in FORMATS {
            let w = weights(&mut rng, rows, cols);
            let m = PackedMatrix::quantize(&w, rows, cols, format).unwrap();
            let x = activations(&mut rng, n * cols);
            let batch = m.matmul_with(&x, n, kernel).unwrap();
            for (i, (x, batch)) in x.chunks(cols).zip(batch.chunks(rows)).enumerate() {
                let alone = m.matmul_with(x, 1, kernel).unwrap();
                let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&alone), bits(batch), "{kernel:?} {format:?} row {i}");
            }
        }
    }
}

/// The AVX2 kernel, and the AVX-512 one for Int8, run the reference's float operations in the
/// reference's order, at every batch size (AVX-512's token-lane GEMM from 4 rows on: full and
/// partial groups of 16, and rows left over from its blocks of 4).
#[test]
fn simd_kernels_equal_scalar_bit_for_bit() {
    let simd: Vec<_> = kernels("simd_equals_scalar")
        .into_iter()
        .filter(|k| k.name() != "scalar")
        .collect();
    let mut rng = StdRng::seed_from_u64(4);
    let (rows, cols) = (67, 640);
    for format in FORMATS {
        let m = PackedMatrix::quantize(&weights(&mut rng, rows, cols), rows, cols, format).unwrap();
        for n in [1, 3, 5, 16, 37] {
            let x = activations(&mut rng, n * cols);
            let bits = |k| {
                m.matmul_with(&x, n, k)
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            };
            for &kernel in &simd {
                if kernel.name() == "avx512" && matches!(format, PackedFormat::Int4 { .. }) {
                    continue; // its own rounding (`dot`)
                }
                assert_eq!(
                    bits(kernel),
                    bits(Kernel::Scalar),
                    "{kernel:?} {format:?}, n = {n}"
                );
            }
        }
    }
}

#[test]
fn kernel_names_are_checked() {
    assert_eq!(Kernel::by_name("scalar").unwrap().name(), "scalar");
    let best = Kernel::by_name("auto").unwrap();
    assert_eq!(best.name(), Kernel::available().last().unwrap().name());
    let err = Kernel::by_name("avx9").unwrap_err().to_string();
    assert!(
        err.contains("GEMMA_KERNEL") && err.contains("avx512"),
        "{err}"
    );
    for name in ["avx2", "avx512"] {
        let available = Kernel::available().iter().any(|k| k.name() == name);
        match Kernel::by_name(name) {
            Ok(k) => assert!(available && k.name() == name),
            Err(e) => assert!(!available && e.to_string().contains("lacks"), "{e}"),
        }
    }
}

#[test]
fn int8_q8_0_levels_cover_minus_128() {
    let mut raw = half::f16::from_f32(0.5).to_le_bytes().to_vec();
    raw.extend((0..GROUP as i32).map(|j| (if j == 0 { -128 } else { 127 - j }) as i8 as u8));
    let m = PackedMatrix::from_gguf_q8_0(&raw, 1, GROUP).unwrap();
    let x: Vec<f32> = (0..GROUP)
        .map(|j| if j % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let want: f32 = m.dequantize().iter().zip(&x).map(|(w, x)| w * x).sum();
    assert_eq!(m.matmul(&x, 1).unwrap(), vec![want]);
}

/// Packing in row chunks gives the matrix packing at once gives; rows dequantize alone.
#[test]
fn row_chunks_and_single_rows_match_the_whole_matrix() {
    let mut rng = StdRng::seed_from_u64(5);
    let (rows, cols) = (10, 128);
    for format in FORMATS {
        let w = weights(&mut rng, rows, cols);
        let whole = PackedMatrix::quantize(&w, rows, cols, format).unwrap();
        let chunked = PackedMatrix::from_row_chunks(rows, cols, format, 3, |r| {
            Ok(RowChunk::Values(w[r.start * cols..r.end * cols].to_vec()))
        })
        .unwrap();
        assert!(chunked == whole, "{format:?}");
        let all = whole.dequantize();
        let row = |r: usize| &all[r * cols..][..cols];
        let picked = whole.dequantize_rows(&[7, 0, 7]).unwrap();
        assert_eq!(picked, [row(7), row(0), row(7)].concat(), "{format:?}");
        assert!(whole.dequantize_rows(&[rows]).is_err());
    }
    let q8_0 = vec![0u8; 2 * 34];
    let int4 = PackedFormat::Int4 { block: 32 };
    let err = PackedMatrix::from_row_chunks(1, 64, int4, 1, |_| Ok(RowChunk::Q8_0(q8_0.clone())));
    assert!(err.unwrap_err().to_string().contains("Int8"));
}

#[test]
fn bad_input_is_an_error() {
    let x = vec![0.1f32; 2 * 64];
    let int8 = PackedFormat::Int8 { block: 32 };
    assert!(PackedMatrix::quantize(&x, 2, 64, PackedFormat::Int4 { block: 128 }).is_err());
    assert!(PackedMatrix::quantize(&x, 2, 64, PackedFormat::Int8 { block: 16 }).is_err());
    assert!(PackedMatrix::quantize(&x[1..], 2, 64, int8).is_err());
    assert!(PackedMatrix::quantize(&x, usize::MAX, 64, int8).is_err());
    assert!(PackedMatrix::quantize(&[], 0, 64, int8).is_err());
    let mut nan = x.clone();
    nan[70] = f32::NAN;
    assert!(PackedMatrix::quantize(&nan, 2, 64, int8).is_err());
    assert!(PackedMatrix::quantize(&[1e9; 32], 1, 32, PackedFormat::Int4 { block: 32 }).is_err());

    assert!(PackedMatrix::from_gguf_q8_0(&[0; 34], 1, 64).is_err());
    assert!(PackedMatrix::from_gguf_q8_0(&[0; 34], 1, 16).is_err());
    let mut inf = vec![0u8; 34];
    inf[..2].copy_from_slice(&half::f16::INFINITY.to_le_bytes());
    assert!(PackedMatrix::from_gguf_q8_0(&inf, 1, 32).is_err());

    let m = PackedMatrix::quantize(&x, 2, 64, int8).unwrap();
    assert!(m.matmul(&x[1..], 2).is_err());
    assert!(m.matmul(&x, 3).is_err());
    assert!(m.matmul(&x, usize::MAX).is_err());
    assert_eq!(m.matmul(&[], 0).unwrap(), Vec::<f32>::new());
}

const SHIPPED: [Shipped; 5] = [
    Shipped::Q8_0,
    Shipped::Q5_0,
    Shipped::Q4_0,
    Shipped::Q4_K,
    Shipped::Q6_K,
];

/// `rows × cols` values of random `s` blocks: random level bytes, and f16 scales from 1e-4 to 0.3
/// (an all-zero scale now and then).
fn shipped_blocks(rng: &mut StdRng, s: Shipped, rows: usize, cols: usize) -> Vec<u8> {
    let blocks = rows * cols / PackedFormat::Shipped(s).block();
    let mut raw: Vec<u8> = (0..blocks * s.block_bytes())
        .map(|_| rng.random())
        .collect();
    for b in raw.chunks_exact_mut(s.block_bytes()) {
        for &i in s.scale_offsets() {
            let d = [0.0, 1e-4, 0.02, 0.3][rng.random_range(0..4)];
            b[i..i + 2].copy_from_slice(&half::f16::from_f32(d).to_le_bytes());
        }
    }
    raw
}

fn shipped_matrix(raw: &[u8], s: Shipped, rows: usize, cols: usize) -> PackedMatrix {
    PackedMatrix::from_row_chunks(rows, cols, PackedFormat::Shipped(s), rows, |_| {
        Ok(match s {
            Shipped::Q8_0 => RowChunk::Q8_0(raw.to_vec()),
            _ => RowChunk::Blocks(raw.to_vec()),
        })
    })
    .unwrap()
}

/// The shipped types dequantize with ggml's own decoders, and multiply within the rounding of
/// their activations: Q8_0 per 32 with an f16 scale (half a step, plus 127 · the f16 rounding of
/// the step), Q8_K per 256.
#[test]
fn shipped_blocks_match_f64_of_ggml_dequantized_values() {
    let mut rng = StdRng::seed_from_u64(7);
    for kernel in kernels("shipped_blocks") {
        for s in SHIPPED {
            let act_block = match s {
                Shipped::Q4_K | Shipped::Q6_K => 256,
                _ => 32,
            };
            for (rows, cols, n) in [(37, 1024, 1), (70, 2048, 6), (3, 256, 2)] {
                let raw = shipped_blocks(&mut rng, s, rows, cols);
                let m = shipped_matrix(&raw, s, rows, cols);
                let ggml = gguf::dequantize_bytes(s.ggml_type(), &raw, rows * cols).unwrap();
                assert_eq!(m.dequantize(), ggml, "{s:?}");
                // Q5_0 is widened to Int8's 34 bytes per 32 values; the others keep their size.
                let widened = if s == Shipped::Q5_0 {
                    34
                } else {
                    s.block_bytes()
                };
                assert_eq!(m.bytes(), raw.len() / s.block_bytes() * widened, "{s:?}");
                let x = activations(&mut rng, n * cols);
                let got = m.matmul_with(&x, n, kernel).unwrap();
                let (want, tol) = reference(&ggml, &x, n, rows, cols, act_block);
                for (k, ((&g, &w), &t)) in got.iter().zip(&want).zip(&tol).enumerate() {
                    let t = t * 1.13 + 1e-6;
                    assert!(
                        (g as f64 - w).abs() <= t,
                        "{kernel:?} {s:?} [{n}, {cols}]x[{rows}]ᵀ at {k}: {g} vs {w} ± {t}"
                    );
                }
            }
        }
    }
}

/// The K-quant loop is the same source on every kernel, and Q8_0/Q5_0 run on Int8's kernels:
/// K-quants give the same bits everywhere, and every kernel gives a row alone what it gives in a
/// batch.
#[test]
fn shipped_blocks_are_batch_invariant_and_k_quants_equal_on_every_kernel() {
    let mut rng = StdRng::seed_from_u64(8);
    let (rows, cols, n) = (41, 1024, 5);
    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for s in SHIPPED {
        let m = shipped_matrix(&shipped_blocks(&mut rng, s, rows, cols), s, rows, cols);
        let x = activations(&mut rng, n * cols);
        let scalar = m.matmul_with(&x, n, Kernel::Scalar).unwrap();
        for kernel in kernels("shipped_invariance") {
            let batch = m.matmul_with(&x, n, kernel).unwrap();
            if matches!(s, Shipped::Q4_K | Shipped::Q6_K) {
                assert_eq!(bits(&batch), bits(&scalar), "{kernel:?} {s:?}");
            }
            for (i, (x, batch)) in x.chunks(cols).zip(batch.chunks(rows)).enumerate() {
                let alone = m.matmul_with(x, 1, kernel).unwrap();
                assert_eq!(bits(&alone), bits(batch), "{kernel:?} {s:?} row {i}");
            }
        }
    }
}

/// Every kernel quantizes a prefill's rows, in groups on rayon's pool, to the same levels, scales
/// and sums as the reference does in one pass, in each activation format.
#[test]
fn threaded_activation_quantization_equals_the_reference() {
    use super::quantize::{ActFormat, Activations};
    let mut rng = StdRng::seed_from_u64(21);
    for (format, cols) in [
        (ActFormat::Block(32), 640),
        (ActFormat::Block(128), 2048),
        (ActFormat::Q8_0, 640),
        (ActFormat::Q8_K, 2048),
    ] {
        let rows = 301; // several groups, the last one short
        let x = weights(&mut rng, rows, cols);
        let want = Activations::quantize(&x, cols, format);
        for kernel in Kernel::available() {
            for lanes in [false, true] {
                assert!(
                    kernel.quantize(&x, cols, format, lanes).parts() == want.parts(),
                    "{} {format:?}",
                    kernel.name()
                );
            }
        }
    }
}

/// ggml's Q8_K: the first value of largest magnitude becomes -127 (its sign in the scale), the
/// scale is `1 / (-127 / max)`, and `bsums` are the sums of every 16 levels.
#[test]
fn q8_k_activations_follow_ggml() {
    use super::quantize::{ActFormat, Activations, K_SUM};
    let mut x: Vec<f32> = (0..512)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.01)
        .collect();
    x[3] = 0.75;
    x[300] = -2.0;
    x[301] = 2.0;
    let a = Activations::quantize(&x, 512, ActFormat::Q8_K);
    let r = a.row(0);
    assert_eq!((r.q[3], r.q[300], r.q[301]), (-127, -127, 127));
    assert_eq!(
        r.scales,
        [1.0 / (-127.0 / 0.75f32), 1.0 / (-127.0 / -2.0f32)]
    );
    assert_eq!(r.sums.len(), 512 / K_SUM);
    for (s, q) in r.sums.iter().zip(r.q.chunks(K_SUM)) {
        assert_eq!(*s, q.iter().map(|&q| q as i32).sum::<i32>());
    }
    for (i, (&q, &v)) in r.q.iter().zip(&x).enumerate() {
        let d = r.scales[i / 256];
        assert!(
            (q as f32 * d - v).abs() <= d.abs() * 0.5001,
            "{v} vs {q}·{d}"
        );
    }
    let zero = Activations::quantize(&[0.0; 256], 256, ActFormat::Q8_K);
    assert_eq!(
        (zero.row(0).scales[0], zero.row(0).sums),
        (0.0, &[0; 16][..])
    );
    // ggml's Q8_0 stores its scale in f16.
    let q8_0 = Activations::quantize(&x[..32], 32, ActFormat::Q8_0);
    let amax = x[..32].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert_eq!(
        q8_0.row(0).scales[0],
        half::f16::from_f32(amax / 127.0).to_f32()
    );
}

#[test]
fn bad_shipped_blocks_are_errors() {
    let mut rng = StdRng::seed_from_u64(9);
    for s in [Shipped::Q5_0, Shipped::Q4_0, Shipped::Q4_K, Shipped::Q6_K] {
        let format = PackedFormat::Shipped(s);
        let mut raw = shipped_blocks(&mut rng, s, 1, 256);
        let short = raw[1..].to_vec();
        let err = PackedMatrix::from_row_chunks(1, 256, format, 1, |_| {
            Ok(RowChunk::Blocks(short.clone()))
        });
        assert!(err.unwrap_err().to_string().contains("needs"), "{s:?}");
        let at = *s.scale_offsets().last().unwrap();
        raw[at..at + 2].copy_from_slice(&half::f16::NAN.to_le_bytes());
        let err =
            PackedMatrix::from_row_chunks(1, 256, format, 1, |_| Ok(RowChunk::Blocks(raw.clone())));
        assert!(err.unwrap_err().to_string().contains("non-finite"), "{s:?}");
        // Only Q8_0 and Q4_0 have a quantizer here (ggml's reference rules).
        let quantized = PackedMatrix::quantize(&[0.1; 256], 1, 256, format);
        assert_eq!(quantized.is_ok(), s.quantizable(), "{s:?}");
        assert!(
            PackedMatrix::from_row_chunks(1, 96, format, 1, |_| Ok(RowChunk::Blocks(vec![])))
                .is_err()
        );
    }
    let int8 = PackedFormat::Int8 { block: 32 };
    let err = PackedMatrix::from_row_chunks(1, 32, int8, 1, |_| Ok(RowChunk::Blocks(vec![0; 22])));
    assert!(
        err.unwrap_err().to_string().contains("whole ggml blocks"),
        "refused"
    );
}

/// ggml's reference rules, on blocks whose answers are known by hand: Q8_0 rounds ties away from
/// zero; Q4_0 maps the first value of largest magnitude to -8 (so its opposite clips to +7) and
/// truncates `x / d + 8.5`; an all-zero block is zero with a zero scale.
#[test]
fn ggml_quantizers_follow_their_reference_rules() {
    let block = |head: &[f32]| {
        let mut b = [0.0f32; 32];
        b[..head.len()].copy_from_slice(head);
        b
    };
    let cases: [(Shipped, [f32; 32], [f32; 32]); 4] = [
        (
            Shipped::Q8_0,
            block(&[127.0, 2.5, -2.5, 0.5, -0.5, 1.49]),
            block(&[127.0, 3.0, -3.0, 1.0, -1.0, 1.0]),
        ),
        (
            Shipped::Q4_0,
            block(&[-8.0, 0.5, -0.5, 7.6, 7.4, 3.5]),
            block(&[-8.0, 1.0, 0.0, 7.0, 7.0, 4.0]),
        ),
        (
            Shipped::Q4_0,
            block(&[5.0, -5.0, 1.25]),
            block(&[5.0, -4.375, 1.25]),
        ),
        (Shipped::Q4_0, [0.0; 32], [0.0; 32]),
    ];
    for (s, x, want) in cases {
        let m = PackedMatrix::quantize(&x, 1, 32, PackedFormat::Shipped(s)).unwrap();
        assert_eq!(m.dequantize(), want, "{s:?} {x:?}");
    }
    let nan = block(&[f32::NAN]);
    let err = PackedMatrix::quantize(&nan, 1, 32, PackedFormat::Shipped(Shipped::Q4_0));
    assert!(err.unwrap_err().to_string().contains("finite"));
}
