//! The attention of one 32-row decode step on flex, all 18 layers of Gemma 3 270M at a context
//! of about 1024: three global layers over 1024 slots, fifteen sliding layers over their ring of
//! 512, one key head of 256 and four query heads; the rows sit at staggered lengths, so the mask
//! is needed, as in the engine. About 700 MB of f32 keys and values, more than any cache. `ops` is Burn's
//! ops (`model::attention::attend_by_ops`, what every other backend runs); `fused` is
//! `model::cpu_kernels::decode_attention::attend` (what `Attention::forward` runs on flex), on rayon's pool
//! of `RAYON_NUM_THREADS`, called from a worker of that pool as the commands call the model.
//! After criterion's report it prints the best time of each and the ratio, from this invocation.

use burn::prelude::*;
use criterion::Criterion;
use model::attention::attend_by_ops;
use model::attention_mask::MaskSpec;
use model::cpu_kernels::decode_attention;
use model::kv_cache::Keys;
use std::hint::black_box;

mod common;

const ROWS: usize = 32;
const HEAD_DIM: usize = 256;
const GROUP: usize = 4;
const CONTEXT: usize = 1024;
const WINDOW: usize = 512;
const LAYERS: usize = 18;

/// One layer's cache views and the positions they hold.
struct Layer {
    keys: Keys,
    window: Option<usize>,
}

fn main() {
    kernels::threads::install(None, || {
        run();
        Ok(())
    })
    .expect("rayon's pool starts");
}

/// Row `r` holds `CONTEXT - 8r` tokens; its query is the last of them.
fn lens() -> Vec<usize> {
    (0..ROWS).map(|r| CONTEXT - 8 * r).collect()
}

fn layer(global: bool, seed: f32, device: &Device) -> Layer {
    let (slots, window) = match global {
        true => (CONTEXT, None),
        false => (WINDOW, Some(WINDOW)),
    };
    // Values that differ per layer and slot, cheaply (no RNG over 700 MB).
    let buffer = |offset: f32| {
        Tensor::<1, Int>::arange(0..(ROWS * slots * HEAD_DIM) as i64, device)
            .float()
            .add_scalar(offset)
            .mul_scalar(1e-3)
            .sin()
            .reshape([ROWS, slots, 1, HEAD_DIM])
            .swap_dims(1, 2)
    };
    // Position `p` in slot `p` (global) or `p mod window` (sliding), as `model::kv_cache` keeps them.
    let positions = lens()
        .into_iter()
        .map(|len| {
            (0..slots)
                .map(|s| match window {
                    None => (s < len).then_some(s),
                    Some(w) => (s < len.min(w)).then(|| s + w * ((len - 1 - s) / w)),
                })
                .collect()
        })
        .collect();
    Layer {
        keys: Keys {
            k: buffer(seed),
            v: buffer(seed + 0.5),
            positions,
        },
        window,
    }
}

fn run() {
    let mut c = Criterion::default().configure_from_args();
    let device = Device::flex();
    // Gemma 3's pattern: every sixth layer is global.
    let layers: Vec<Layer> = (0..LAYERS)
        .map(|i| layer(i % 6 == 5, i as f32, &device))
        .collect();
    let bytes: usize = layers
        .iter()
        .map(|l| 2 * l.keys.k.shape().num_elements() * 4)
        .sum();
    let q = Tensor::<4>::ones([ROWS, 1, GROUP, HEAD_DIM], &device).mul_scalar(0.1);
    let queries: Vec<Vec<usize>> = lens().into_iter().map(|l| vec![l - 1]).collect();
    let scale = (HEAD_DIM as f64).powf(-0.5);
    let step = |fused: bool| {
        for l in &layers {
            let mask = MaskSpec {
                queries: &queries,
                keys: &l.keys.positions,
                window: l.window,
            };
            let out = match fused {
                true => decode_attention::attend(&q, &l.keys, &mask, scale as f32, None)
                    .expect("a flex f32 decode step"),
                false => attend_by_ops(q.clone(), &l.keys, &mask, GROUP, scale, None),
            };
            black_box(out.into_data());
        }
    };
    let mut group = c.benchmark_group("decode_attention");
    group.sample_size(10);
    let best: Vec<_> = [("ops", false), ("fused", true)]
        .into_iter()
        .map(|(name, fused)| (name, common::best_of(&mut group, name, || step(fused))))
        .collect();
    group.finish();
    c.final_summary();
    println!(
        "\nthreads {}; {ROWS} rows, {:.0} MB of f32 keys and values per step",
        rayon::current_num_threads(),
        bytes as f64 / 1e6
    );
    let base = best[0].1;
    for &(name, t) in &best {
        if let Some(line) = common::versus(t, base, bytes) {
            println!("{name:<6} {line} vs ops");
        }
    }
}
