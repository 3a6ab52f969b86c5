//! Packed matmul (`kernels::packed`) against f32, at Gemma 3 270M's shapes: the tied LM
//! head [n,640]×[640,262144] and the layer projections [n,640]×[640,2048] and [n,2048]×[2048,640],
//! for n = 1 (decode), n = 8 (batched decode) and n = 64 (a prefill chunk); int8/int4 blocks of
//! 32 and, where the input width is a multiple of 256, ggml's Q4_K and Q6_K (random blocks, as a
//! GGUF ships them). Every SIMD kernel this CPU runs is measured (`int8_b32_avx2`,
//! `int8_b32_avx512`, …; the scalar reference is not a speed path). After criterion's own report,
//! prints each variant's best time and its speed-up over the plain f32 baseline.

use criterion::{Criterion, SamplingMode};
use kernels::packed::{Kernel, PackedFormat, PackedMatrix, RowChunk, Shipped};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// (name, rows = output features, cols = input features, n = activation rows)
const CASES: [(&str, usize, usize, usize); 8] = [
    ("lm_head", 262_144, 640, 1),
    ("lm_head_n8", 262_144, 640, 8),
    ("up", 2048, 640, 1),
    ("down", 640, 2048, 1),
    ("up_n8", 2048, 640, 8),
    ("down_n8", 640, 2048, 8),
    ("up_n64", 2048, 640, 64),
    ("down_n64", 640, 2048, 64),
];
/// ggml's Q8_0 and Q4_0 run on the int8 and int4 kernels, so they are not measured apart.
const FORMATS: [(&str, PackedFormat); 4] = [
    ("int8_b32", PackedFormat::Int8 { block: 32 }),
    ("int4_b32", PackedFormat::Int4 { block: 32 }),
    ("q4_k", PackedFormat::Shipped(Shipped::Q4_K)),
    ("q6_k", PackedFormat::Shipped(Shipped::Q6_K)),
];
const F32: &str = "f32_rayon";
/// Reads as many bytes as the Int8 matrix holds and does nothing else: the memory-bandwidth floor
/// for `int8_b32` once the matrix no longer fits in cache.
const STREAM: &str = "int8_stream";

/// Uniform values in [-scale, scale) from a fixed LCG, so every run measures the same data.
fn values(len: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// A `[rows, cols]` matrix in `format`: quantized from `w`, or for the K-quants (which only come
/// from a file) random level bytes with fixed finite scales; `None` where cols does not fit.
fn matrix(w: &[f32], rows: usize, cols: usize, format: PackedFormat) -> Option<PackedMatrix> {
    let k_quant = match format {
        PackedFormat::Shipped(s @ (Shipped::Q4_K | Shipped::Q6_K)) => s,
        _ => return Some(PackedMatrix::quantize(w, rows, cols, format).expect("bench shapes fit")),
    };
    if !cols.is_multiple_of(256) {
        return None;
    }
    let (bytes, scales) = match k_quant {
        Shipped::Q4_K => (144, [0, 2].as_slice()),
        _ => (210, [208].as_slice()),
    };
    let seed = values(rows * cols / 256 * bytes, 3, 1.0);
    let mut raw: Vec<u8> = seed.iter().map(|v| (v * 1e4) as i64 as u8).collect();
    for b in raw.chunks_exact_mut(bytes) {
        for &i in scales {
            b[i..i + 2].copy_from_slice(&0x2000u16.to_le_bytes()); // f16 2^-7
        }
    }
    let m = PackedMatrix::from_row_chunks(rows, cols, format, rows, |_| {
        Ok(RowChunk::Blocks(raw.clone()))
    });
    Some(m.expect("bench blocks are valid"))
}

/// The plain f32 baseline: one dot product per (weight row, activation row) on rayon's pool, the
/// weight row reused across the n activations; output `[rows, n]`. Sixteen independent lanes let
/// the compiler vectorize it (for cols a multiple of 16, as here).
fn f32_matmul(w: &[f32], x: &[f32], cols: usize) -> Vec<f32> {
    let n = x.len() / cols;
    let mut out = vec![0.0f32; w.len() / cols * n];
    out.par_chunks_mut(n)
        .zip(w.par_chunks(cols))
        .with_min_len(64)
        .for_each(|(out, w)| {
            for (o, x) in out.iter_mut().zip(x.chunks_exact(cols)) {
                let mut acc = [0.0f32; 16];
                for (w, x) in w.as_chunks::<16>().0.iter().zip(x.as_chunks::<16>().0) {
                    for l in 0..16 {
                        acc[l] += w[l] * x[l];
                    }
                }
                *o = acc.iter().sum();
            }
        });
    out
}

/// XOR of all bytes, on rayon's pool (vectorized, so bound by memory bandwidth).
fn stream(bytes: &[u8]) -> u8 {
    bytes
        .par_chunks(1 << 16)
        .map(|c| c.iter().fold(0, |a, &b| a ^ b))
        .reduce(|| 0, |a, b| a ^ b)
}

/// Burn's matmul on the flex backend, with the weight stored `[cols, rows]` as a Burn linear
/// layer holds it; includes the upload of x and the read-back of the output.
#[cfg(feature = "flex")]
fn burn_flex(w: &[f32], rows: usize, cols: usize) -> impl Fn(&[f32]) -> Vec<f32> {
    use burn::prelude::*;
    let device = Device::flex();
    let w_t: Vec<f32> = (0..cols * rows)
        .map(|k| w[(k % rows) * cols + k / rows])
        .collect();
    let w_t = Tensor::<2>::from_data(TensorData::new(w_t, [cols, rows]), &device);
    move |x| {
        let x =
            Tensor::<2>::from_data(TensorData::new(x.to_vec(), [x.len() / cols, cols]), &device);
        model::host::to_vec(x.matmul(w_t.clone())).expect("flex read-back")
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    // Best per-iteration time of every (case, variant), for the ratio table: on a shared machine
    // other work only ever adds time, so the minimum is the steadiest estimate.
    let mut best: BTreeMap<(&str, String), Duration> = BTreeMap::new();
    for (case, rows, cols, n) in CASES {
        let w = values(rows * cols, 1, 0.05);
        let x = values(n * cols, 2, 1.0);
        let (w, x) = (w.as_slice(), x.as_slice());
        type Matmul<'a> = Box<dyn Fn() -> Vec<f32> + 'a>;
        let mut variants: Vec<(String, Matmul)> =
            vec![(F32.into(), Box::new(move || f32_matmul(w, x, cols)))];
        for (name, format) in FORMATS {
            let Some(m) = matrix(w, rows, cols, format) else {
                continue;
            };
            if format == FORMATS[0].1 {
                let bytes = vec![1u8; m.bytes()];
                variants.push((
                    STREAM.into(),
                    Box::new(move || vec![f32::from(stream(&bytes))]),
                ));
            }
            let m = std::sync::Arc::new(m);
            for kernel in Kernel::available() {
                if matches!(kernel, Kernel::Scalar) {
                    continue;
                }
                let m = m.clone();
                variants.push((
                    format!("{name}_{}", kernel.name()),
                    Box::new(move || m.matmul_with(x, n, kernel).expect("x has n rows")),
                ));
            }
        }
        #[cfg(feature = "flex")]
        {
            let flex = burn_flex(w, rows, cols);
            variants.push(("burn_flex".into(), Box::new(move || flex(x))));
        }

        let mut group = c.benchmark_group(case);
        if rows * cols > 1 << 24 {
            // Tens of ms per call: a fixed number of iterations per sample keeps the run short.
            group.sample_size(10).sampling_mode(SamplingMode::Flat);
        }
        for (name, f) in &variants {
            let best = best.entry((case, name.clone())).or_insert(Duration::MAX);
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(f());
                    }
                    let elapsed = start.elapsed();
                    *best = (*best).min(elapsed / iters as u32);
                    elapsed
                })
            });
        }
        group.finish();
    }
    c.final_summary();

    println!(
        "\n{:<12} {:<16} {:>12} {:>16}",
        "case", "variant", "best", "speed-up vs f32"
    );
    best.retain(|_, t| *t < Duration::MAX); // benchmarks that a name filter skipped
    for (case, ..) in CASES {
        let Some(&base) = best.get(&(case, F32.to_string())) else {
            continue;
        };
        for ((_, name), t) in best.iter().filter(|((c, _), _)| *c == case) {
            println!(
                "{case:<12} {name:<16} {:>9.1} µs {:>15.2}x",
                t.as_secs_f64() * 1e6,
                base.as_secs_f64() / t.as_secs_f64()
            );
        }
    }
}
