//! Shared by the train tests: the tiny fixture model, synthetic examples, logits, temp folders.
#![allow(dead_code)] // each test binary uses part of this

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::DType;
use model::{BackendKind, Gemma3};
use std::path::PathBuf;
use train::data::Example;
use train::lora::{LoraConfig, Target};
use train::method::Method;
use train::train_config::TrainConfig;
use train::trainer::RunOptions;

pub fn device() -> Device {
    BackendKind::Flex.device().expect("flex is compiled in")
}

pub fn tiny_path() -> PathBuf {
    gemma::paths::data_dir().join("fixtures/tiny-gemma3")
}

/// The tiny random Gemma 3 (vocab 256), on the plain or the autodiff flex device.
pub fn tiny(autodiff: bool) -> Gemma3 {
    let d = device();
    let d = if autodiff { d.autodiff() } else { d };
    model::weights::load_model(&tiny_path(), &d, DType::F32).expect("tiny fixture loads")
}

/// A fresh, empty folder under cargo's per-target temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("train-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `n` learnable examples for the tiny vocabulary: a random "prompt", then its reverse as the
/// trained "answer" (deterministic in `seed`).
pub fn examples(n: usize, seed: u64) -> Vec<Example> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    (0..n)
        .map(|_| {
            let len = 3 + next() as usize % 5;
            let prompt: Vec<u32> = (0..len).map(|_| 3 + next() % 200).collect();
            let answer: Vec<u32> = prompt.iter().rev().copied().chain([1]).collect();
            Example::from_segments([(prompt, false), (answer, true)])
        })
        .collect()
}

pub fn lora(dropout: f64) -> Method {
    Method::Lora(LoraConfig {
        rank: 4,
        alpha: 8.0,
        dropout,
        targets: vec![Target::Q, Target::V, Target::O, Target::Up],
    })
}

pub fn config(method: Method, steps: usize) -> TrainConfig {
    TrainConfig {
        method,
        steps,
        batch_size: 4,
        grad_accum: 1,
        lr: 1e-2,
        warmup_steps: 2,
        weight_decay: 0.0,
        max_grad_norm: Some(1.0),
        seed: 7,
    }
}

pub fn run(out: PathBuf) -> RunOptions {
    RunOptions {
        devices: vec![],
        grad_sync: None,
        out,
        resume: false,
        stop_after: None,
        eval_every: 0,
        save_every: 0,
    }
}

/// Logits `[len, vocab]` (flattened) of one sequence, without gradients.
pub fn logits(model: &Gemma3, ids: &[u32]) -> Vec<f32> {
    let model = model.valid();
    let tokens = model::host::tokens(ids, 1, &model.device());
    let mut cache = model.new_cache(1);
    let hidden = model.forward(tokens, &mut cache);
    model::host::to_vec(model.logits(hidden)).unwrap()
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
