//! `gemma convert` round trips: GGUF -> HF safetensors -> load, and GGUF -> burnpack -> load,
//! give the same logits as the GGUF; and the dtype rules (bf16 bounded, f16 refused).

mod common;

use burn::tensor::DType;
use common::*;
use gemma::paths;
use model::weights::{burnpack, hf_export, load_model};
use model::{BackendKind, ModelDtype};

fn tmp(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("gemma-convert-{tag}-{}", std::process::id()))
}

#[test]
fn gguf_to_safetensors_and_burnpack_round_trip_exactly() {
    let Some(path) = paths::real_model_for_tests() else {
        return;
    };
    let device = BackendKind::default_kind().device().unwrap();
    let gguf = load(&path, &device);
    let ids = ids(&read_json("gemma3-270m/capital_fr.json")["input_ids"]);
    let want = last_logits(&gguf, &ids);

    let st = tmp("st");
    hf_export::save(&gguf, &st).unwrap();
    let from_st = load(&st, &device);
    assert_eq!(
        last_logits(&from_st, &ids),
        want,
        "GGUF -> safetensors -> load"
    );

    let bp = tmp("bp");
    burnpack::save(&gguf, &bp).unwrap();
    let from_bp = load(&bp, &device);
    assert_eq!(
        last_logits(&from_bp, &ids),
        want,
        "GGUF -> burnpack -> load"
    );
    let _ = std::fs::remove_dir_all(st);
    let _ = std::fs::remove_dir_all(bp);
}

#[test]
fn bf16_checkpoint_of_the_tiny_model_loads_and_stays_close() {
    let device = BackendKind::Flex.device().unwrap();
    let f32_model = tiny(&device);
    let bf16 = load_model(&fixture("tiny-gemma3"), &device, DType::BF16).unwrap();
    let dir = tmp("bf16");
    hf_export::save(&bf16, &dir).unwrap();
    let reloaded = load_model(&dir, &device, DType::F32).unwrap();
    let seq = ids(&read_json("tiny-gemma3/reference.json")["sequences"][1]["input_ids"]);
    let (a, b) = (last_logits(&f32_model, &seq), last_logits(&reloaded, &seq));
    let diff = max_abs_diff(&a, &b);
    assert!(
        diff > 0.0 && diff < 0.05,
        "bf16 weights change logits a little: {diff}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn f16_is_refused_with_a_reason_and_missing_dtypes_are_named() {
    let device = BackendKind::default_kind().device().unwrap();
    let err = ModelDtype::F16
        .check(BackendKind::default_kind(), &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("f16") && err.contains("bf16") && err.contains("65504"),
        "{err}"
    );
    if BackendKind::Ndarray.compiled() {
        let err = ModelDtype::Bf16
            .check(
                BackendKind::Ndarray,
                &BackendKind::Ndarray.device().unwrap(),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("ndarray does not support bf16"), "{err}");
    }
}

#[test]
fn bf16_on_the_real_model_is_bounded_against_f32() {
    let Some(path) = paths::real_model_for_tests() else {
        return;
    };
    let device = BackendKind::Flex.device().unwrap();
    let f32_model = load(&path, &device);
    let bf16 = load_model(&path, &device, DType::BF16).unwrap();
    let (mut kld_sum, mut agree, names) = (
        0.0,
        0,
        [
            "capital_fr",
            "code_python",
            "non_english_fr",
            "instruction",
            "chat_template_it_format",
        ],
    );
    for name in names {
        let seq = ids(&read_json(&format!("gemma3-270m/{name}.json"))["input_ids"]);
        let (p, q) = (last_logits(&f32_model, &seq), last_logits(&bf16, &seq));
        assert!(
            q.iter().all(|x| x.is_finite()),
            "{name}: bf16 logits must be finite"
        );
        kld_sum += kl_divergence(&p, &q);
        agree += (argmax(&p) == argmax(&q)) as usize;
        eprintln!(
            "bf16 {name}: max |Δ| {:.3}, KLD {:.2e}",
            max_abs_diff(&p, &q),
            kl_divergence(&p, &q)
        );
    }
    let mean_kld = kld_sum / names.len() as f64;
    eprintln!(
        "bf16 vs f32: mean KLD {mean_kld:.2e}, top-1 agreement {agree}/{}",
        names.len()
    );
    assert!(mean_kld < 0.05, "bf16 mean KLD {mean_kld}");
    assert!(
        agree >= names.len() - 1,
        "bf16 top-1 agreement {agree}/{}",
        names.len()
    );
}

/// KL(P || Q) of two logit rows, in nats.
fn kl_divergence(p: &[f32], q: &[f32]) -> f64 {
    let log_softmax = |v: &[f32]| {
        let max = v.iter().cloned().fold(f32::MIN, f32::max) as f64;
        let lse = max + v.iter().map(|&x| (x as f64 - max).exp()).sum::<f64>().ln();
        v.iter().map(|&x| x as f64 - lse).collect::<Vec<f64>>()
    };
    let (lp, lq) = (log_softmax(p), log_softmax(q));
    lp.iter().zip(&lq).map(|(a, b)| a.exp() * (a - b)).sum()
}
