//! Helpers shared by the integration tests: fixture paths, `.npy` reading, running the model.
#![allow(dead_code)] // each test binary uses a different subset

use burn::prelude::*;
use burn::tensor::DType;
use gemma::paths;
use model::{BackendKind, Gemma3, host};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn fixture(rel: &str) -> PathBuf {
    paths::data_dir().join("fixtures").join(rel)
}

pub fn read_json(rel: &str) -> Value {
    let path = fixture(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set GEMMA_DATA_DIR to the shared folder)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

pub fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .expect("array of ids")
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

pub fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array of numbers")
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// A little-endian f32 `.npy` file (format 1.0) as a flat vector.
pub fn read_npy_f32(rel: &str) -> Vec<f32> {
    let bytes = std::fs::read(fixture(rel)).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(
        header.contains("'<f4'") && header.contains("False"),
        "unexpected npy header {header}"
    );
    bytes[10 + header_len..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The model in `path` at f32.
pub fn load(path: &Path, device: &Device) -> Gemma3 {
    model::weights::load_model(path, device, DType::F32).unwrap()
}

/// The tiny HF-layout fixture model at f32.
pub fn tiny(device: &Device) -> Gemma3 {
    load(&fixture("tiny-gemma3"), device)
}

/// Every backend compiled into this test binary.
pub fn backends() -> Vec<(BackendKind, Device)> {
    BackendKind::available()
        .into_iter()
        .map(|b| (b, b.device().unwrap()))
        .collect()
}

/// Logits at every position of one sequence, `[n][vocab]`, without a cache.
pub fn all_logits(model: &Gemma3, ids: &[u32]) -> Vec<Vec<f32>> {
    let mut cache = model.new_cache(1);
    let hidden = model.forward(host::tokens(ids, 1, &model.device()), &mut cache);
    let values = host::to_vec(model.logits(hidden)).unwrap();
    values
        .chunks_exact(values.len() / ids.len())
        .map(<[f32]>::to_vec)
        .collect()
}

/// Last-position logits of one sequence, without a cache.
pub fn last_logits(model: &Gemma3, ids: &[u32]) -> Vec<f32> {
    let mut cache = model.new_cache(1);
    let hidden = model.forward(host::tokens(ids, 1, &model.device()), &mut cache);
    host::to_vec(model.last_logits(hidden)).unwrap()
}

/// Greedy continuation recomputing the whole sequence at every step (no KV cache).
pub fn greedy_no_cache(model: &Gemma3, prompt: &[u32], n: usize) -> Vec<u32> {
    let mut seq = prompt.to_vec();
    for _ in 0..n {
        let next = engine::sampling::argmax(&last_logits(model, &seq));
        seq.push(next);
    }
    seq[prompt.len()..].to_vec()
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

pub fn argmax(v: &[f32]) -> u32 {
    engine::sampling::argmax(v)
}

/// The real model at f32 on the default backend, loaded once per test binary; `None` (the
/// tests skip) when the weights are absent.
pub fn default_model() -> Option<&'static Gemma3> {
    static MODEL: OnceLock<Option<Gemma3>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let path = paths::real_model_for_tests()?;
            Some(load(&path, &BackendKind::default_kind().device().unwrap()))
        })
        .as_ref()
}

/// llama.cpp's own `llama-quantize`, as `scripts/test.sh` builds it.
pub fn llama_quantize() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join(".cache/llama.cpp/bin/llama-quantize");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/test.sh, which builds llama.cpp's tools",
        bin.display()
    );
    bin
}

/// `llama-quantize --allow-requantize input output ty`.
pub fn quantize(input: &Path, output: &Path, ty: &str) {
    let out = Command::new(llama_quantize())
        .arg("--allow-requantize")
        .args([input, output])
        .arg(ty)
        .output()
        .expect("llama-quantize runs");
    assert!(
        out.status.success(),
        "llama-quantize {ty} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
