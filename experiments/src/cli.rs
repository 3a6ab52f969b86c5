//! `experiments quantization`: options, then the sweep and its reports.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use eval::benchmark::{Benchmark, BenchmarkKind};
use eval::data_dir::{self, DATA_DIR_ENV};
use eval::ifeval::InputExample;
use eval::ifeval_run::DEFAULT_MAX_NEW_TOKENS;
use eval::merge::ShardSet;
use eval::shard::ShardArgs;
use gemma::args::ModelArgs;
use model::ModelDtype;
use serde_json::json;
use std::sync::Arc;

use crate::sweep::{self, Base, Instructions, StudyConfig};
use crate::variant::{self, DEFAULT_VARIANTS};

#[derive(Args)]
pub struct QuantizationArgs {
    /// Model options; the reference is the model loaded in f32 (`--dtype`/`--packed` are
    /// variants here, not options).
    #[command(flatten)]
    model: ModelArgs,
    /// Variants, comma-separated (`f32` is always measured first: it is the KLD base).
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_VARIANTS.iter().map(|s| s.to_string()))]
    variants: Vec<String>,
    /// WikiText-2 chunks for perplexity and KLD (0: skip).
    #[arg(long, default_value_t = 16)]
    ppl_chunks: usize,
    /// Tokens per perplexity chunk.
    #[arg(long, default_value_t = eval::perplexity::DEFAULT_CTX)]
    ctx: usize,
    /// IFEval prompts, from the first (541: all; 0: skip).
    #[arg(long, default_value_t = 541)]
    ifeval_limit: usize,
    /// IFBench prompts, from the first (294: all; 0: skip).
    #[arg(long, default_value_t = 294)]
    ifbench_limit: usize,
    /// Most new tokens per IFEval and IFBench response (lm-eval: 1280).
    #[arg(long, default_value_t = DEFAULT_MAX_NEW_TOKENS)]
    ifeval_max_new_tokens: usize,
    /// IFEval and IFBench sequences in flight together on the engine.
    #[arg(long, alias = "ifeval-batch-size", default_value_t = 16)]
    ifeval_max_seqs: usize,
    /// Prompt length of the prefill speed measurement.
    #[arg(long, default_value_t = 128)]
    prefill_tokens: usize,
    /// Tokens decoded for the decode speed (0: skip speed).
    #[arg(long, default_value_t = 32)]
    decode_tokens: usize,
    /// Data directory [default: <workspace>/../shared].
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    /// Output folder: results.{jsonl,json,csv}, report.md, plots, per-variant run folders.
    /// A rerun with the same folder skips finished variants.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    shard: ShardArgs,
}

pub fn run(args: QuantizationArgs) -> Result<()> {
    if args.model.dtype != ModelDtype::F32 || args.model.packed.is_some() {
        bail!(
            "--dtype and --packed are variants of the study (e.g. --variants f32,bf16,int4-b32-packed); the reference loads in f32"
        );
    }
    let variants = variant::parse_list(&args.variants)?;
    let shard = args.shard.resolve()?;
    let data = args.data_dir.clone().unwrap_or_else(data_dir::data_dir);
    // Both benchmarks' prompts are read and checked before the model loads.
    let instructions = |kind: BenchmarkKind, limit: usize| -> Result<Instructions> {
        let benchmark = Benchmark::open(kind, &data)?;
        let mut inputs: Vec<InputExample> = if limit > 0 {
            benchmark.read_inputs(&benchmark.default_input(&data))?
        } else {
            Vec::new()
        };
        inputs.truncate(limit);
        Ok(Instructions {
            benchmark: Arc::new(benchmark),
            inputs,
        })
    };
    let ifeval = instructions(BenchmarkKind::Ifeval, args.ifeval_limit)?;
    let ifbench = instructions(BenchmarkKind::Ifbench, args.ifbench_limit)?;
    let loaded = args.model.load()?;
    println!(
        "reference: {} on {} (loaded in {:.1} s)",
        loaded.model_path.display(),
        loaded.backend,
        loaded.load_secs
    );
    let model_identity = eval::provenance::model_identity(&loaded.model_path)?;
    let base = Base {
        model: &loaded.model,
        tokenizer: &loaded.tokenizer,
        model_path: &loaded.model_path,
        model_identity,
        backend: loaded.backend,
    };
    let cfg = StudyConfig {
        out: shard.folder(&args.out),
        text_file: data_dir::wikitext2_test(&data),
        n_ctx: args.ctx,
        ppl_chunks: args.ppl_chunks,
        ifeval,
        ifbench,
        ifeval_max_new_tokens: args.ifeval_max_new_tokens,
        ifeval_max_seqs: args.ifeval_max_seqs,
        prefill_tokens: args.prefill_tokens,
        decode_tokens: args.decode_tokens,
        shard,
    };
    let results = sweep::run(&base, &variants, &cfg)?;
    let metadata = json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "model": base.model_identity,
        "backend": loaded.backend.name(),
        "ppl": {"file": cfg.text_file.display().to_string(), "n_ctx": cfg.n_ctx, "chunks": cfg.ppl_chunks},
        "ifeval": {"prompts": cfg.ifeval.inputs.len(), "max_new_tokens": cfg.ifeval_max_new_tokens, "max_seqs": cfg.ifeval_max_seqs, "decoding": "greedy"},
        "ifbench": {"prompts": cfg.ifbench.inputs.len(), "max_new_tokens": cfg.ifeval_max_new_tokens, "max_seqs": cfg.ifeval_max_seqs, "decoding": "greedy"},
        "speed": {"prefill_tokens": cfg.prefill_tokens, "decode_tokens": cfg.decode_tokens, "batch": 1},
        "machine": crate::report::machine(),
        "host": eval::provenance::host(),
        "software": eval::provenance::software(),
    });
    crate::report::write(&cfg.out, &results, metadata)?;
    let failed = results
        .iter()
        .filter(|r| r.status == crate::record::Status::Failed)
        .count();
    println!(
        "wrote results.json, results.csv, report.md and plots to {}{}",
        cfg.out.display(),
        if failed > 0 {
            format!(" ({failed} variants failed; rerun to retry them)")
        } else {
            String::new()
        }
    );
    Ok(())
}

#[derive(Args)]
pub struct MergeArgs {
    /// Shard folders (shard-I-of-N), or the folders holding them.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where the merged study goes [default: the folder the shards sit in].
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn merge(args: MergeArgs) -> Result<()> {
    let set = ShardSet::open(&args.dirs)?;
    let out = set.output_dir(args.out)?;
    set.check_output(&out)?;
    let results = crate::merge::merge(&set, &out)?;
    println!(
        "merged {} shards ({} variants) into {}: results.json, results.csv, report.md and plots",
        set.shards.len(),
        results.len(),
        out.display()
    );
    Ok(())
}

#[derive(Args)]
pub struct PlotArgs {
    /// A study's results.json.
    #[arg(long)]
    results: PathBuf,
    /// Folder for the PNG and SVG files [default: the results file's folder].
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn plot(args: PlotArgs) -> Result<()> {
    let results = crate::report::read_results(&args.results)?;
    let dir = match args.out {
        Some(dir) => dir,
        None => args.results.parent().map(PathBuf::from).unwrap_or_default(),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for file in crate::plots::write_all(&results, &dir)? {
        println!("wrote {}", file.display());
    }
    Ok(())
}
