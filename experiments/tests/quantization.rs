//! The study on the real model, small: three integer precisions and two float ones, perplexity
//! and KLD on 2 WikiText-2 chunks, 3 IFEval prompts, a short speed run. Checks the files, the
//! KLD ordering the quantization implies (int8 < int4 < int2), the reference's KLD against
//! itself, and that a rerun keeps finished variants. Skips loudly without the weights.

use std::path::Path;
use std::sync::Arc;

use burn::module::Module;
use eval::benchmark::{Benchmark, BenchmarkKind};
use eval::merge::ShardSet;
use eval::perplexity::{self, PerplexityConfig};
use eval::shard::Shard;
use experiments::record::{Status, VariantResult};
use experiments::sweep::{self, Base, Instructions, REFERENCE_LOGITS, StudyConfig};
use experiments::{apply, variant};
use gemma::paths;
use model::{BackendKind, Gemma3, GemmaTokenizer};

#[test]
fn small_study_writes_everything_and_orders_kld() {
    let Some(path) = paths::real_model_for_tests() else {
        return;
    };
    let backend = BackendKind::Flex;
    let device = backend.device().unwrap();
    let model = model::weights::load_model(&path, &device, burn::tensor::DType::F32).unwrap();
    let tokenizer =
        GemmaTokenizer::from_file(&paths::resolve_tokenizer(&path, None).unwrap()).unwrap();
    assert_eq!(
        apply::weight_counts(&model).total(),
        model.num_params(),
        "weights by role add up to the model"
    );

    let data = eval::data_dir::data_dir();
    let instructions = |kind: BenchmarkKind, n: usize| {
        let benchmark = Benchmark::open(kind, &data).unwrap();
        let mut inputs = benchmark
            .read_inputs(&benchmark.default_input(&data))
            .unwrap();
        inputs.truncate(n);
        Instructions {
            benchmark: Arc::new(benchmark),
            inputs,
        }
    };
    let out = std::env::temp_dir().join(format!("quant-study-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let cfg = StudyConfig {
        out: out.clone(),
        text_file: eval::data_dir::wikitext2_test(&data),
        n_ctx: 256,
        ppl_chunks: 2,
        ifeval: instructions(BenchmarkKind::Ifeval, 3),
        ifbench: instructions(BenchmarkKind::Ifbench, 2),
        ifeval_max_new_tokens: 24,
        ifeval_max_seqs: 3,
        prefill_tokens: 32,
        decode_tokens: 4,
        shard: Shard::WHOLE,
    };
    let base = Base {
        model: &model,
        tokenizer: &tokenizer,
        model_path: &path,
        model_identity: serde_json::json!(path.display().to_string()),
        backend,
    };
    let names: Vec<String> = ["int2-b32", "int4-b32", "int8-b32", "f16", "int4-b32-packed"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let variants = variant::parse_list(&names).unwrap();
    let results = sweep::run(&base, &variants, &cfg).unwrap();
    experiments::report::write(&out, &results, serde_json::json!({"test": true})).unwrap();

    let by = |name: &str| results.iter().find(|r| r.variant.name == name).unwrap();
    for r in &results {
        eprintln!(
            "{}: {:?} {:?} ppl {:?} kld {:?} same-top {:?} ifeval {:?} bpw {:?}",
            r.variant.name,
            r.status,
            r.reason,
            r.metrics.ppl,
            r.metrics.kld_mean,
            r.metrics.same_top_p,
            r.metrics.ifeval_prompt_strict,
            r.metrics.bits_per_weight
        );
    }
    assert_eq!(
        by("f16").status,
        Status::Unsupported,
        "f16 overflows Gemma 3: refused, not NaN"
    );
    for name in ["f32", "int8-b32", "int4-b32", "int2-b32", "int4-b32-packed"] {
        let r = by(name);
        assert_eq!(r.status, Status::Ok, "{name}: {:?}", r.reason);
        assert!(
            r.metrics.ppl.unwrap().is_finite()
                && r.metrics.ifeval_inst_loose.is_some()
                && r.metrics.ifbench_inst_loose.is_some()
                && r.metrics.decode_tok_s.unwrap() > 0.0,
            "{name}"
        );
    }
    let kld = |name: &str| by(name).metrics.kld_mean.unwrap();
    assert!(
        kld("int8-b32") < kld("int4-b32") && kld("int4-b32") < kld("int2-b32"),
        "KLD must grow as bits shrink"
    );
    assert!(
        by("int8-b32").metrics.same_top_p.unwrap() > 0.9,
        "int8 keeps the top token almost everywhere"
    );
    assert!(by("int8-b32").metrics.bits_per_weight.unwrap() < 32.0);

    for file in [
        "results.jsonl",
        "results.json",
        "results.csv",
        "report.md",
        "ppl_kld_vs_bits.png",
        "ppl_kld_vs_bits.svg",
        "ifeval_vs_bits.png",
        "ifeval_vs_bits.svg",
        "decode_vs_bits.png",
        "decode_vs_bits.svg",
    ] {
        let p = out.join(file);
        assert!(
            p.metadata().map(|m| m.len() > 0).unwrap_or(false),
            "{} missing or empty",
            p.display()
        );
    }
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + variants.len());

    // The reference against its own saved logits: zero divergence, the same top token everywhere.
    let self_cfg = PerplexityConfig {
        max_chunks: Some(2),
        n_ctx: 256,
        kld_base: Some(out.join(REFERENCE_LOGITS)),
        ..PerplexityConfig::new(cfg.text_file.clone())
    };
    let own = perplexity::run(&model, &tokenizer, &self_cfg)
        .unwrap()
        .kld
        .unwrap();
    assert!(
        own.kld_mean.value.abs() < 1e-6 && own.same_top_p.value == 1.0,
        "self-KLD {} same-top {}",
        own.kld_mean.value,
        own.same_top_p.value
    );

    // A rerun keeps every finished variant without measuring it again.
    let again = sweep::run(&base, &variants, &cfg).unwrap();
    // (JSON keeps floats to within an ulp or so, not bit for bit.)
    let key = |r: &[VariantResult]| {
        r.iter()
            .map(|v| {
                (
                    v.variant.name.clone(),
                    v.status,
                    v.metrics.ppl.map(|p| (p * 1e6).round()),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&again), key(&results));
    remove(&out);
}

/// The study of `variants` in three shards (each its own folder, as three machines would run
/// it), merged, against the same study unsharded: every variant's numbers are equal.
#[test]
fn a_study_in_three_shards_merges_into_the_single_run() {
    let Some(path) = paths::real_model_for_tests() else {
        return;
    };
    let device = BackendKind::Flex.device().unwrap();
    let model: Gemma3 =
        model::weights::load_model(&path, &device, burn::tensor::DType::F32).unwrap();
    let tokenizer =
        GemmaTokenizer::from_file(&paths::resolve_tokenizer(&path, None).unwrap()).unwrap();
    let data = eval::data_dir::data_dir();
    let no_prompts = |kind| Instructions {
        benchmark: Arc::new(Benchmark::open(kind, &data).unwrap()),
        inputs: Vec::new(),
    };
    let root = std::env::temp_dir().join(format!("quant-shards-{}", std::process::id()));
    remove(&root);
    let cfg = |out: std::path::PathBuf, shard: Shard| StudyConfig {
        out,
        text_file: eval::data_dir::wikitext2_test(&data),
        n_ctx: 128,
        ppl_chunks: 2,
        ifeval: no_prompts(BenchmarkKind::Ifeval),
        ifbench: no_prompts(BenchmarkKind::Ifbench),
        ifeval_max_new_tokens: 8,
        ifeval_max_seqs: 1,
        prefill_tokens: 0,
        decode_tokens: 0,
        shard,
    };
    let base = Base {
        model: &model,
        tokenizer: &tokenizer,
        model_path: &path,
        model_identity: serde_json::json!(path.display().to_string()),
        backend: BackendKind::Flex,
    };
    let names: Vec<String> = ["int8-b32", "int4-b32", "int4-b32-packed", "bf16"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let variants = variant::parse_list(&names).unwrap();
    let single = sweep::run(&base, &variants, &cfg(root.join("single"), Shard::WHOLE)).unwrap();
    let sharded = root.join("sharded");
    for i in 0..3 {
        let shard = Shard::new(i, 3).unwrap();
        let mine = sweep::run(&base, &variants, &cfg(shard.folder(&sharded), shard)).unwrap();
        assert_eq!(mine.len(), shard.select(&variants).len());
        experiments::report::write(
            &shard.folder(&sharded),
            &mine,
            serde_json::json!({"shard": i}),
        )
        .unwrap();
    }
    // A shard with no variant of its own (3 shards, 2 variants) measures nothing, not even
    // the reference's logits.
    let idle = Shard::new(2, 3).unwrap();
    let idle_out = root.join("idle").join(idle.dir_name());
    assert!(
        sweep::run(&base, &variants[..2], &cfg(idle_out.clone(), idle))
            .unwrap()
            .is_empty()
    );
    assert!(!idle_out.join(REFERENCE_LOGITS).exists());
    let set = ShardSet::open(std::slice::from_ref(&sharded)).unwrap();
    let merged = experiments::merge::merge(&set, &sharded).unwrap();
    let numbers = |r: &[VariantResult]| {
        r.iter()
            .map(|v| (v.variant.name.clone(), v.status, v.metrics.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(numbers(&merged), numbers(&single));
    assert!(merged.iter().all(|r| r.metrics.ppl.is_some()), "{merged:?}");
    assert_eq!(
        experiments::report::read_results(&sharded.join("results.json")).unwrap(),
        merged
    );
    remove(&root);
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}
