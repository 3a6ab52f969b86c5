//! Training on the tiny fixture model: LoRA and full fine-tuning learn, adapters round-trip,
//! merged exports equal base + adapter, and gradient accumulation equals a bigger batch.

mod common;

use burn::module::Module;
use common::*;
use train::method::Method;
use train::metrics::Split;
use train::train_config::TrainConfig;
use train::trainer::train;
use train::{adapter, export, loss};

fn first_and_last_valid(entries: &[train::metrics::Entry]) -> (f64, f64) {
    let v: Vec<f64> = entries
        .iter()
        .filter(|e| e.split == Split::Valid)
        .map(|e| e.loss)
        .collect();
    (v[0], *v.last().unwrap())
}

#[test]
fn lora_learns_and_its_adapter_round_trips() {
    let out = temp_dir("lora_round_trip");
    // One fixed batch to memorise: the tiny model is random, so this is the quick signal.
    let data = examples(4, 1);
    let cfg = TrainConfig {
        lr: 3e-2,
        ..config(lora(0.1), 40)
    };
    let outcome = train(tiny(true), &data, &data, &cfg, &run(out.clone())).unwrap();
    let (before, after) = first_and_last_valid(&outcome.entries);
    assert!(after < before - 0.5, "validation loss {before} -> {after}");

    let Method::Lora(lora) = &cfg.method else {
        unreachable!()
    };
    let tuned = outcome.model.valid();
    adapter::save(&tuned, lora, &out.join("adapter")).unwrap();
    let reloaded = adapter::load_adapter(tiny(false), &out.join("adapter")).unwrap();
    let ids = &data[0].ids;
    let (want, got, base) = (
        logits(&tuned, ids),
        logits(&reloaded, ids),
        logits(&tiny(false), ids),
    );
    assert!(
        max_abs_diff(&want, &got) < 1e-5,
        "reloaded adapter differs by {}",
        max_abs_diff(&want, &got)
    );
    assert!(
        max_abs_diff(&want, &base) > 1e-2,
        "the adapter changed nothing"
    );
}

#[test]
fn merged_export_equals_base_plus_adapter() {
    let out = temp_dir("merged_export");
    let data = examples(8, 2);
    let outcome = train(
        tiny(true),
        &data,
        &[],
        &config(lora(0.0), 5),
        &run(out.clone()),
    )
    .unwrap();
    let tuned = outcome.model.valid();
    export::save_merged(&tuned, &out.join("merged")).unwrap();
    let merged =
        model::weights::load_model(&out.join("merged"), &device(), burn::tensor::DType::F32)
            .unwrap();
    for ex in &data[..3] {
        let diff = max_abs_diff(&logits(&tuned, &ex.ids), &logits(&merged, &ex.ids));
        assert!(diff < 1e-4, "merged logits differ by {diff}");
    }
}

#[test]
fn full_finetuning_with_a_frozen_embedding_learns_and_exports() {
    let out = temp_dir("full");
    let data = examples(4, 3);
    let cfg = TrainConfig {
        lr: 3e-3,
        ..config(
            Method::Full {
                freeze_embedding: true,
            },
            40,
        )
    };
    let outcome = train(tiny(true), &data, &data, &cfg, &run(out.clone())).unwrap();
    let (before, after) = first_and_last_valid(&outcome.entries);
    assert!(after < before - 0.5, "validation loss {before} -> {after}");

    let base = tiny(false);
    let tuned = outcome.model.valid();
    let values = |m: &model::Gemma3| model::host::to_vec(m.embed_tokens.chunks[0].val()).unwrap();
    assert_eq!(values(&base), values(&tuned), "the embedding stayed frozen");
    let q = |m: &model::Gemma3| {
        model::host::to_vec(
            m.layers[0]
                .self_attn
                .q_proj
                .float("q_proj")
                .unwrap()
                .weight
                .val(),
        )
        .unwrap()
    };
    assert!(
        max_abs_diff(&q(&base), &q(&tuned)) > 1e-4,
        "layer weights trained"
    );

    export::save_merged(&tuned, &out.join("model")).unwrap();
    let exported =
        model::weights::load_model(&out.join("model"), &device(), burn::tensor::DType::F32)
            .unwrap();
    let stats = loss::evaluate(&exported, &data, 4).unwrap();
    assert!(
        (stats.loss() - after).abs() < 1e-4,
        "exported model's loss {} vs {after}",
        stats.loss()
    );
}

#[test]
fn gradient_accumulation_equals_one_bigger_batch() {
    let data = examples(16, 4);
    // Full fine-tuning: no random LoRA init, which other tests of this binary could race on.
    let big = TrainConfig {
        batch_size: 4,
        grad_accum: 1,
        lr: 1e-3,
        ..config(
            Method::Full {
                freeze_embedding: false,
            },
            4,
        )
    };
    let small = TrainConfig {
        batch_size: 2,
        grad_accum: 2,
        ..big.clone()
    };
    let a = train(tiny(true), &data, &[], &big, &run(temp_dir("accum_big"))).unwrap();
    let b = train(
        tiny(true),
        &data,
        &[],
        &small,
        &run(temp_dir("accum_small")),
    )
    .unwrap();
    for (x, y) in a.entries.iter().zip(&b.entries) {
        assert!(
            (x.loss - y.loss).abs() < 1e-5,
            "step {}: {} vs {}",
            x.step,
            x.loss,
            y.loss
        );
        assert_eq!(x.tokens, y.tokens);
    }
}

#[test]
fn bf16_lora_learns_on_a_backend_with_bf16() {
    let device = device().autodiff();
    assert!(
        device.supports_dtype(burn::tensor::DType::BF16),
        "flex has bf16"
    );
    let model =
        model::weights::load_model(&tiny_path(), &device, burn::tensor::DType::BF16).unwrap();
    let data = examples(4, 6);
    let cfg = TrainConfig {
        lr: 3e-2,
        ..config(lora(0.1), 30)
    };
    let outcome = train(model, &data, &data, &cfg, &run(temp_dir("bf16"))).unwrap();
    assert_eq!(outcome.model.dtype(), burn::tensor::DType::BF16);
    let (before, after) = first_and_last_valid(&outcome.entries);
    assert!(after < before - 0.5, "validation loss {before} -> {after}");
}
