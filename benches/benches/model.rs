//! The whole model, per backend and precision: one decode step (batch 1) with 128 and 1024
//! positions in the KV cache, one batched decode step of 8 and 32 sequences, a 512-token
//! prefill to the last logits, the LM head alone, and the engine on a short form of
//! `gemma bench --engine`'s workload (6 prompts of 16 to 56 tokens, 8 new tokens each, 3 in
//! flight, so rows are refilled). Uses the real weights when present (the
//! fetch cache or $GEMMA_MODEL), else the real config with uninitialised weights (same shapes,
//! same work).
//!
//! Which backends and precisions run: $GEMMA_BENCH_BACKENDS (default: every compiled backend)
//! and $GEMMA_BENCH_PRECISIONS (default `f32,bf16,int8,int4`; int8/int4 are the packed
//! kernels, CPU backends only). A precision a backend lacks is skipped with a note.

use burn::prelude::*;
use criterion::{BenchmarkId, Criterion, Throughput};
use engine::GenerationConfig;
use engine::{self, EngineConfig, Request};
use gemma::paths;
use kernels::packed::PackedFormat;
use model::{BackendKind, Gemma3, Gemma3Config, ModelDtype, host};
use std::hint::black_box;
use std::time::Duration;

const PROMPT: u32 = 1000;

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The model at `precision` on `backend`, or why not.
fn load(backend: BackendKind, device: &Device, precision: &str) -> Result<Gemma3, String> {
    let (dtype, packed) = match precision {
        "f32" => (ModelDtype::F32, None),
        "bf16" => (ModelDtype::Bf16, None),
        "int8" => (ModelDtype::F32, Some(PackedFormat::Int8 { block: 32 })),
        "int4" => (ModelDtype::F32, Some(PackedFormat::Int4 { block: 32 })),
        other => return Err(format!("unknown precision {other}")),
    };
    dtype.check(backend, device).map_err(|e| e.to_string())?;
    if packed.is_some() && matches!(backend, BackendKind::Wgpu | BackendKind::Cuda) {
        return Err("the packed kernels run on the CPU".into());
    }
    let model = match paths::resolve_model(None) {
        Ok(path) => {
            model::weights::load_model(&path, device, dtype.burn()).map_err(|e| format!("{e:#}"))?
        }
        Err(_) => Gemma3Config::gemma3_270m().init(device, dtype.burn()),
    };
    match packed {
        Some(format) => model
            .into_packed(format, |_| true)
            .map_err(|e| format!("{e:#}")),
        None => Ok(model),
    }
}

/// A cache holding `positions` tokens for each of `batch` rows.
fn filled_cache(model: &Gemma3, batch: usize, positions: usize) -> model::KvCache {
    let mut cache = model.new_cache(batch);
    let ids = vec![PROMPT; batch * positions];
    let hidden = model.forward(host::tokens(&ids, batch, &model.device()), &mut cache);
    host::to_vec(model.last_logits(hidden)).expect("prefill");
    cache
}

/// One decode step: forward one token per row and read the last logits back.
fn step(model: &Gemma3, cache: &mut model::KvCache) -> Vec<f32> {
    let b = cache.rows();
    let hidden = model.forward(host::tokens(&vec![PROMPT; b], b, &model.device()), cache);
    host::to_vec(model.last_logits(hidden)).expect("decode step")
}

fn bench_model(c: &mut Criterion, name: &str, model: &Gemma3) {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for positions in [128, 1024] {
        // One cache, stepped on: the context grows from `positions` by one token a step (a few
        // hundred in a run), as in real decoding, where the cache is written in place.
        let mut cache = filled_cache(model, 1, positions);
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::new("decode_ctx", positions), |bch| {
            bch.iter(|| black_box(step(model, &mut cache)))
        });
    }
    for batch in [8, 32] {
        let mut cache = filled_cache(model, batch, 16);
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_function(BenchmarkId::new("batched_decode", batch), |bch| {
            bch.iter(|| black_box(step(model, &mut cache)))
        });
    }
    g.throughput(Throughput::Elements(512));
    g.bench_function("prefill_512", |bch| {
        bch.iter(|| black_box(filled_cache(model, 1, 512)))
    });
    let hidden = Tensor::<3>::ones(
        [1, 1, model.config.hidden_size],
        (&model.device(), model.dtype()),
    );
    g.throughput(Throughput::Elements(1));
    g.bench_function("lm_head", |bch| {
        bch.iter(|| black_box(host::to_vec(model.last_logits(hidden.clone())).expect("lm head")))
    });
    let config = GenerationConfig {
        max_new_tokens: 8,
        stop_ids: vec![],
        ..Default::default()
    };
    let requests: Vec<Request> = (0..6)
        .map(|i| Request {
            id: i,
            prompt: vec![PROMPT; 16 + 8 * i as usize],
            config: config.clone(),
        })
        .collect();
    let engine_cfg = EngineConfig {
        max_seqs: 3,
        ..EngineConfig::default()
    };
    g.throughput(Throughput::Elements(6 * 8));
    g.bench_function("engine_6x8_seqs3", |bch| {
        bch.iter(|| {
            black_box(
                engine::run(model, None, engine_cfg, requests.clone(), |_| Ok(())).expect("engine"),
            )
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let backends = env_list(
        "GEMMA_BENCH_BACKENDS",
        &BackendKind::available()
            .iter()
            .map(|b| b.name())
            .collect::<Vec<_>>()
            .join(","),
    );
    let precisions = env_list("GEMMA_BENCH_PRECISIONS", "f32,bf16,int8,int4");
    if paths::resolve_model(None).is_err() {
        eprintln!("note: real weights absent; timing the real config with uninitialised weights");
    }
    for backend in BackendKind::available()
        .into_iter()
        .filter(|b| backends.iter().any(|n| n == b.name()))
    {
        let device = match backend.device() {
            Ok(d) => d,
            Err(e) => {
                eprintln!("skip {backend}: {e:#}");
                continue;
            }
        };
        for precision in &precisions {
            match load(backend, &device, precision) {
                Ok(model) => bench_model(&mut c, &format!("{backend}/{precision}"), &model),
                Err(why) => eprintln!("skip {backend}/{precision}: {why}"),
            }
        }
    }
    c.final_summary();
}
