//! The sweep: every variant measured in turn, each finished one appended to `results.jsonl`
//! at once, so an interrupted study keeps what it finished and a rerun skips it. Inside a
//! variant, perplexity chunks and IFEval responses resume too (the `eval` crate's run folders).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use eval::benchmark::Benchmark;
use eval::ifeval::InputExample;
use eval::ifeval_run::{self, ChatTemplate, IfevalRunConfig};
use eval::perplexity::{self, PerplexityConfig};
use eval::run_dir::{self, JsonlLog};
use gemma::bench::{self, BenchConfig};
use model::weights::Packing;
use model::{BackendKind, Gemma3, GemmaTokenizer, ModelDtype};
use serde_json::{Map, Value, json};
use std::sync::Arc;

use crate::apply;
use crate::record::{Metrics, Status, VariantResult};
use crate::variant::{Execution, Format, REFERENCE, Variant};
use eval::shard::{Part, Shard};

pub const RESULTS_FILE: &str = "results.jsonl";
/// The reference's scored logits, the base of every KL divergence.
pub const REFERENCE_LOGITS: &str = "reference-logits.bin";

/// What to measure, and how much of it.
#[derive(Clone, Debug)]
pub struct StudyConfig {
    pub out: PathBuf,
    pub text_file: PathBuf,
    pub n_ctx: usize,
    /// WikiText-2 chunks for perplexity and KLD (0: skip).
    pub ppl_chunks: usize,
    /// IFEval prompts (empty: skip).
    pub ifeval: Instructions,
    /// IFBench prompts (empty: skip).
    pub ifbench: Instructions,
    /// Decoding of both benchmarks (greedy, as lm-eval).
    pub ifeval_max_new_tokens: usize,
    pub ifeval_max_seqs: usize,
    /// Prefill and decode lengths of the speed measurement (0 decode tokens: skip).
    pub prefill_tokens: usize,
    pub decode_tokens: usize,
    /// Which variants this process measures (variant `k` of the list belongs to shard
    /// `k mod N`); `out` is then the shard's folder.
    pub shard: Shard,
}

/// The task name in a sharded study's settings.
pub const TASK: &str = "quantization";

/// An instruction-following benchmark's prompts for the study.
#[derive(Clone, Debug)]
pub struct Instructions {
    pub benchmark: Arc<Benchmark>,
    pub inputs: Vec<InputExample>,
}

/// The reference model and where it came from.
pub struct Base<'a> {
    pub model: &'a Gemma3,
    pub tokenizer: &'a GemmaTokenizer,
    pub model_path: &'a Path,
    /// Identifies the model file (its hash) in every run folder's settings.
    pub model_identity: Value,
    pub backend: BackendKind,
}

impl StudyConfig {
    /// What `run.json` holds; a shard's also names every variant of the whole study.
    fn settings(&self, base: &Base, variants: &[Variant]) -> Value {
        let part = (!self.shard.is_whole()).then(|| Part {
            shard: self.shard,
            task: TASK.into(),
            work: json!({"variants": variants.iter().map(|v| &v.name).collect::<Vec<_>>()}),
        });
        let whole = json!({
            "model": base.model_identity,
            "backend": base.backend,
            "text_sha256": eval::provenance::sha256_file(&self.text_file).ok(),
            "n_ctx": self.n_ctx,
            "ppl_chunks": self.ppl_chunks,
            "ifeval_prompts": self.ifeval.inputs.len(),
            "ifbench_prompts": self.ifbench.inputs.len(),
            "ifeval_max_new_tokens": self.ifeval_max_new_tokens,
            "prefill_tokens": self.prefill_tokens,
            "decode_tokens": self.decode_tokens,
        });
        Part::settings(part.as_ref(), whole)
    }
}

/// Measures every variant of this shard not finished in `cfg.out` and returns their results
/// in `variants` order. A shard without the reference (the first variant) still scores the
/// reference's perplexity, for its own KL divergence base.
pub fn run(base: &Base, variants: &[Variant], cfg: &StudyConfig) -> Result<Vec<VariantResult>> {
    run_dir::check_settings(&cfg.out, &cfg.settings(base, variants))?;
    let (mut log, earlier) = JsonlLog::open::<VariantResult>(&cfg.out.join(RESULTS_FILE))?;
    let mut results = Vec::new();
    let needs_base = (1..variants.len()).any(|i| cfg.shard.owns(i));
    if cfg.ppl_chunks > 0 && !cfg.shard.owns(0) && needs_base {
        println!("reference perplexity, the KL divergence base of this shard");
        measure_perplexity(base, base.model, &variants[0], cfg, &mut Metrics::default())
            .context("the reference's perplexity")?;
    }
    for (i, variant) in variants.iter().enumerate() {
        if !cfg.shard.owns(i) {
            continue;
        }
        let done = earlier
            .iter()
            .rev()
            .map(|(_, r)| r)
            .find(|r| r.variant.name == variant.name && r.status != Status::Failed);
        if let Some(done) = done {
            println!(
                "[{}/{}] {}: {:?} in an earlier run, kept",
                i + 1,
                variants.len(),
                variant.name,
                done.status
            );
            results.push(done.clone());
            continue;
        }
        println!(
            "[{}/{}] {}: {}",
            i + 1,
            variants.len(),
            variant.name,
            variant.describe()
        );
        let start = Instant::now();
        // Burn panics on some schemes a backend lacks; one variant's panic must not end the sweep.
        let outcome = catch_unwind(AssertUnwindSafe(|| measure(base, variant, cfg)))
            .unwrap_or_else(|panic| Err(anyhow::anyhow!("panicked: {}", panic_message(&panic))));
        let secs = start.elapsed().as_secs_f64();
        let result = match outcome {
            Ok(Outcome::Measured(metrics)) => VariantResult {
                variant: variant.clone(),
                execution: variant.describe(),
                status: Status::Ok,
                reason: None,
                metrics: *metrics,
                secs,
            },
            Ok(Outcome::Unsupported(reason)) => {
                VariantResult::not_run(variant, Status::Unsupported, reason, secs)
            }
            Err(e) => VariantResult::not_run(variant, Status::Failed, format!("{e:#}"), secs),
        };
        match &result.reason {
            Some(reason) => println!("  {:?}: {reason}", result.status),
            None => println!("  done in {secs:.0} s"),
        }
        log.append(&serde_json::to_string(&result)?)?;
        results.push(result);
    }
    Ok(results)
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

enum Outcome {
    Measured(Box<Metrics>),
    Unsupported(String),
}

/// The variant's model, or why this backend cannot have it.
fn variant_model(base: &Base, variant: &Variant) -> Result<std::result::Result<Gemma3, String>> {
    let device = base.model.device();
    let float = |dtype: ModelDtype| -> Result<std::result::Result<Gemma3, String>> {
        if let Err(e) = dtype.check(base.backend, &device) {
            return Ok(Err(format!("{e:#}")));
        }
        Ok(Ok(model::weights::load_model(
            base.model_path,
            &device,
            dtype.burn(),
        )?))
    };
    match (variant.format, variant.execution) {
        (Format::F32, _) => Ok(Ok(base.model.clone())),
        // Straight from the file: a model that is not a GGUF has no blocks to ship.
        (Format::Gguf, _) => Ok(model::weights::load_packed(
            base.model_path,
            &device,
            ModelDtype::F32.burn(),
            Packing::AsShipped,
        )
        .map_err(|e| format!("{e:#}"))),
        (Format::Bf16, _) => float(ModelDtype::Bf16),
        (Format::F16, _) => float(ModelDtype::F16),
        (_, Execution::Simulated) if !BackendKind::Flex.compiled() => Ok(Err(
            "simulated quantization uses Burn's flex backend, which this binary was built without"
                .into(),
        )),
        _ => Ok(Ok(apply::quantize(base.model, variant)?)),
    }
}

/// The variant's run folders and what identifies its runs in their settings.
fn variant_dir(base: &Base, variant: &Variant, cfg: &StudyConfig) -> (PathBuf, Value) {
    (
        cfg.out.join("variants").join(&variant.name),
        json!({"model": base.model_identity, "backend": base.backend, "variant": variant}),
    )
}

/// PPL, and KLD against the reference (which saves its logits as the base), into `m`.
fn measure_perplexity(
    base: &Base,
    model: &Gemma3,
    variant: &Variant,
    cfg: &StudyConfig,
    m: &mut Metrics,
) -> Result<()> {
    let (dir, identity) = variant_dir(base, variant, cfg);
    let reference = variant.name == REFERENCE;
    let logits = cfg.out.join(REFERENCE_LOGITS);
    let ppl_cfg = PerplexityConfig {
        max_chunks: Some(cfg.ppl_chunks),
        n_ctx: cfg.n_ctx,
        save_logits: reference.then(|| logits.clone()),
        kld_base: (!reference).then_some(logits),
        output_dir: Some(dir.join("perplexity")),
        identity,
        ..PerplexityConfig::new(cfg.text_file.clone())
    };
    println!("  perplexity: {} chunks of {}", cfg.ppl_chunks, cfg.n_ctx);
    let r = perplexity::run(model, base.tokenizer, &ppl_cfg).context("perplexity")?;
    (m.ppl, m.ppl_stderr) = (Some(r.ppl.ppl), Some(r.ppl.ppl_stderr));
    if let Some(k) = r.kld {
        m.kld_mean = Some(k.kld_mean.value);
        m.kld_median = Some(k.kld_median);
        m.kld_p99 = Some(k.kld_p99);
        m.kld_p99_9 = Some(k.kld_p99_9);
        m.kld_max = Some(k.kld_max);
        m.same_top_p = Some(k.same_top_p.value);
        m.delta_p_rms = Some(k.delta_p_rms.value);
        m.ln_ppl_ratio = Some(k.ln_ppl_ratio.value);
    }
    Ok(())
}

fn measure(base: &Base, variant: &Variant, cfg: &StudyConfig) -> Result<Outcome> {
    let model = match variant_model(base, variant)? {
        Ok(m) => m,
        Err(reason) => return Ok(Outcome::Unsupported(reason)),
    };
    let (dir, identity) = variant_dir(base, variant, cfg);
    let mut m = Metrics {
        bits_per_weight: Some(
            variant
                .bits_per_weight(&apply::weight_counts(&model))
                .unwrap_or_else(|| apply::stored_bits_per_weight(&model)),
        ),
        resident_weight_bytes: Some(bench::weight_bytes(&model)),
        ..Default::default()
    };
    if cfg.ppl_chunks > 0 {
        measure_perplexity(base, &model, variant, cfg, &mut m)?;
    }
    for (set, name) in [(&cfg.ifeval, "IFEval"), (&cfg.ifbench, "IFBench")] {
        if set.inputs.is_empty() {
            continue;
        }
        let run_cfg = IfevalRunConfig {
            output_dir: dir.join(set.benchmark.name()),
            max_seqs: cfg.ifeval_max_seqs,
            max_new_tokens: cfg.ifeval_max_new_tokens,
            chat_template: ChatTemplate::Auto,
            identity: identity.clone(),
            part: None,
        };
        println!(
            "  {name}: {} prompts, up to {} new tokens",
            set.inputs.len(),
            cfg.ifeval_max_new_tokens
        );
        let mut meta = Map::new();
        meta.insert("variant".into(), serde_json::to_value(variant)?);
        let folder = run_cfg.open(&set.inputs).context(name)?;
        let (report, _) = ifeval_run::run(
            &model,
            base.tokenizer,
            &set.benchmark,
            &set.inputs,
            &run_cfg,
            folder,
            meta,
        )
        .context(name)?;
        let a = &report.accuracy;
        let slots = match set.benchmark.as_ref() {
            Benchmark::Ifeval => [
                &mut m.ifeval_prompt_strict,
                &mut m.ifeval_inst_strict,
                &mut m.ifeval_prompt_loose,
                &mut m.ifeval_inst_loose,
            ],
            Benchmark::Ifbench(_) => [
                &mut m.ifbench_prompt_strict,
                &mut m.ifbench_inst_strict,
                &mut m.ifbench_prompt_loose,
                &mut m.ifbench_inst_loose,
            ],
        };
        let values = [
            a.prompt_level_strict_acc,
            a.inst_level_strict_acc,
            a.prompt_level_loose_acc,
            a.inst_level_loose_acc,
        ];
        for (slot, value) in slots.into_iter().zip(values) {
            *slot = Some(value);
        }
    }
    if cfg.decode_tokens > 0 {
        println!(
            "  speed: prefill {} tokens, decode {}",
            cfg.prefill_tokens, cfg.decode_tokens
        );
        let bench_cfg = BenchConfig {
            prefill_tokens: cfg.prefill_tokens,
            decode_tokens: cfg.decode_tokens,
            batch_sizes: vec![],
            repeats: 1,
        };
        let r = bench::run(&model, base.tokenizer, &bench_cfg).context("speed")?;
        (m.prefill_tok_s, m.decode_tok_s) = (Some(r.prefill_tok_s), Some(r.decode_tok_s));
    }
    Ok(Outcome::Measured(Box::new(m)))
}
