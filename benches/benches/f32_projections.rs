//! The f32 layer projections of one decode step on flex: all 18 layers × 7 matrices of Gemma 3
//! 270M (q 640→1024, k and v 640→256, o 1024→640, gate and up 640→2048, down 2048→640; 402 MB,
//! more than any cache, so this measures memory as a real decode step does), for 1 and 4 rows.
//! `flex` is Burn's matmul (`Linear::forward`), which flex runs on one thread at these shapes;
//! `threaded` is `model::cpu_kernels::threaded_matmul` (what `Projection::forward` runs: flex's own on one
//! thread), on rayon's pool of `RAYON_NUM_THREADS`, called from a worker of that pool as the
//! commands call the model (`kernels::threads`). After criterion's report it prints the best time of each, the bandwidth
//! it reached, and the ratio, from this one invocation.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use criterion::Criterion;
use model::cpu_kernels::threaded_matmul;
use std::hint::black_box;

mod common;

/// (in, out) of a decoder layer's projections, in `LAYER_PROJECTIONS` order.
const SHAPES: [(usize, usize); 7] = [
    (640, 1024),
    (640, 256),
    (640, 256),
    (1024, 640),
    (640, 2048),
    (640, 2048),
    (2048, 640),
];
const LAYERS: usize = 18;

fn main() {
    kernels::threads::install(None, || {
        run();
        Ok(())
    })
    .expect("rayon's pool starts");
}

fn run() {
    let mut c = Criterion::default().configure_from_args();
    let device = Device::flex();
    let layers: Vec<Vec<Linear>> = (0..LAYERS)
        .map(|_| {
            SHAPES
                .iter()
                .map(|&(i, o)| LinearConfig::new(i, o).with_bias(false).init(&device))
                .collect()
        })
        .collect();
    let bytes: usize = LAYERS * SHAPES.iter().map(|(i, o)| i * o * 4).sum::<usize>();
    let mut best = Vec::new();
    for rows in [1, 4] {
        let xs: Vec<Tensor<3>> = [640, 1024, 2048]
            .map(|d| Tensor::ones([1, rows, d], &device))
            .to_vec();
        let x_for = |d: usize| &xs[[640, 1024, 2048].iter().position(|&w| w == d).unwrap()];
        let step = |threaded: bool| {
            for l in &layers {
                for (p, &(i, _)) in l.iter().zip(&SHAPES) {
                    let x = x_for(i).clone();
                    let y = match threaded {
                        // What `Projection::forward` runs (flex's own on one thread).
                        true => threaded_matmul::matmul(&x, &p.weight.val())
                            .unwrap_or_else(|| p.forward(x)),
                        false => p.forward(x),
                    };
                    black_box(y.into_data());
                }
            }
        };
        let mut group = c.benchmark_group(format!("f32_projections_m{rows}"));
        group.sample_size(10);
        for (name, threaded) in [("flex", false), ("threaded", true)] {
            best.push((
                rows,
                name,
                common::best_of(&mut group, name, || step(threaded)),
            ));
        }
        group.finish();
    }
    c.final_summary();
    println!(
        "\nthreads {}; {:.0} MB of f32 weights per step",
        rayon::current_num_threads(),
        bytes as f64 / 1e6
    );
    println!(
        "{:<5} {:<9} {:>11} {:>12} {:>8}",
        "rows", "variant", "best", "bandwidth", "vs flex"
    );
    for &(rows, name, t) in &best {
        let Some(&(.., base)) = best.iter().find(|(r, n, _)| *r == rows && *n == "flex") else {
            continue;
        };
        if let Some(line) = common::versus(t, base, bytes) {
            println!("{rows:<5} {name:<9} {line}");
        }
    }
}
