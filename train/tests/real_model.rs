//! CI smoke run on the real Gemma 3 270M (flex, CPU): a few LoRA steps lower the loss on a fixed
//! batch, and the saved adapter reloads to the same logits. Skips loudly without the weights.

mod common;

use burn::module::Module;
use common::*;
use model::tokenizer::GemmaTokenizer;
use train::data::encode;
use train::lora::{LoraConfig, Target};
use train::method::Method;
use train::train_config::TrainConfig;
use train::trainer::train;
use train::{adapter, loss};

#[test]
fn lora_steps_lower_the_loss_and_the_adapter_reloads() {
    let Some(path) = gemma::paths::real_model_for_tests() else {
        return;
    };
    let tok_path = gemma::paths::resolve_tokenizer(&path, None)
        .expect("tokenizer.json beside the model or in the cache");
    let tok = GemmaTokenizer::from_file(&tok_path).unwrap();
    let records = eval::extraction::generate::examples(11, 2);
    let (batch, _) = encode::encode_all(&records, &tok, 160).unwrap();
    assert_eq!(batch.len(), 2);

    let base = model::weights::load_model(&path, &device(), burn::tensor::DType::F32).unwrap();
    let before = loss::evaluate(&base, &batch, 2).unwrap().loss();
    let lora = LoraConfig {
        rank: 8,
        alpha: 16.0,
        dropout: 0.0,
        targets: vec![Target::Q, Target::V],
    };
    let cfg = TrainConfig {
        lr: 1e-3,
        warmup_steps: 0,
        batch_size: 2,
        ..config(Method::Lora(lora.clone()), 4)
    };
    let out = temp_dir("real_lora");
    let outcome = train(base.clone().train(), &batch, &[], &cfg, &run(out.clone())).unwrap();
    let tuned = outcome.model.valid();
    let after = loss::evaluate(&tuned, &batch, 2).unwrap().loss();
    eprintln!("fixed-batch loss {before:.4} -> {after:.4}");
    assert!(after < before - 0.1, "loss {before} -> {after}");

    adapter::save(&tuned, &lora, &out.join("adapter")).unwrap();
    let reloaded = adapter::load_adapter(base, &out.join("adapter")).unwrap();
    let ids = &batch[0].ids[..24];
    let diff = max_abs_diff(&logits(&tuned, ids), &logits(&reloaded, ids));
    eprintln!("reloaded adapter: max logit difference {diff:e}");
    assert!(diff < 1e-4, "reloaded adapter's logits differ by {diff}");
}
