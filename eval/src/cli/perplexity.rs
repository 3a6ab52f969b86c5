//! `eval perplexity`: llama.cpp-style perplexity, optionally saving logits or comparing
//! against saved ones (KL divergence).

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use gemma::args::ModelArgs;
use serde_json::Value;

use crate::data_dir::{self, DATA_DIR_ENV};
use crate::perplexity::{self, DEFAULT_CTX, PerplexityConfig, report, top_logits::DEFAULT_TOP_K};
use crate::shard::ShardArgs;

#[derive(Args)]
pub struct PerplexityArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Text to score [default: <data-dir>/data/wikitext-2/wiki.test.raw].
    #[arg(long)]
    file: Option<PathBuf>,
    /// Tokens per chunk.
    #[arg(long, default_value_t = DEFAULT_CTX)]
    ctx: usize,
    /// Only the first N chunks [default: all].
    #[arg(long)]
    chunks: Option<usize>,
    /// Save the scored logits (top-k, normalizer, correct token) as a KL-divergence base.
    #[arg(long)]
    save_logits: Option<PathBuf>,
    /// Logits kept per position by --save-logits.
    #[arg(long, default_value_t = DEFAULT_TOP_K)]
    save_top_k: usize,
    /// Compare against logits saved with --save-logits (its chunks are evaluated; --file is unused).
    #[arg(long)]
    kl_divergence_base: Option<PathBuf>,
    /// Folder for chunks.jsonl (resumed if present), results.json and report.md.
    #[arg(long)]
    output_dir: Option<PathBuf>,
    /// Data directory [default: <workspace>/../shared].
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    shard: ShardArgs,
}

pub fn run(args: PerplexityArgs) -> Result<()> {
    let text_file = args.file.unwrap_or_else(|| {
        data_dir::wikitext2_test(&args.data_dir.unwrap_or_else(data_dir::data_dir))
    });
    // Options, text, saved logits and output folder are checked before the model loads.
    let input = args.kl_divergence_base.as_ref().unwrap_or(&text_file);
    if !input.is_file() {
        bail!("{}: no such file", input.display());
    }
    let files = args.model.resolve()?;
    let model_config = model::weights::read_config(&files.model_path)?;
    let (identity, mut metadata) = super::describe("perplexity", &args.model, &files)?;
    let shard = args.shard.resolve()?;
    let cfg = PerplexityConfig {
        text_file,
        n_ctx: args.ctx,
        max_chunks: args.chunks,
        save_logits: args.save_logits,
        top_k: args.save_top_k,
        kld_base: args.kl_divergence_base,
        output_dir: args.output_dir.map(|dir| shard.folder(&dir)),
        identity,
        shard,
    };
    let prepared = perplexity::prepare(&files.tokenizer, &model_config, &cfg)?;
    let loaded = args.model.load_files(files)?;
    metadata.insert("load_secs".into(), loaded.load_secs.into());
    let result = prepared.evaluate(&loaded.model, &cfg)?;
    print!("{}", report::summary(&result));
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map_or(Value::Null, |p| p.display().to_string().into())
    };
    if cfg.kld_base.is_none() {
        metadata.insert("file".into(), cfg.text_file.display().to_string().into());
    }
    metadata.insert("kl_divergence_base".into(), path(&cfg.kld_base));
    metadata.insert("save_logits".into(), path(&cfg.save_logits));
    if let Some(dir) = &cfg.output_dir {
        report::write(dir, &result, Value::Object(metadata))?;
        println!("wrote {}", dir.display());
    }
    Ok(())
}
