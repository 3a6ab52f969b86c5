//! Scoring models on the extraction task: `train eval-task` and `eval extraction` are this
//! one command.

use anyhow::Context;
use clap::Args;
use gemma::args::ModelArgs;
use model::Gemma3;
use model::tokenizer::GemmaTokenizer;
use std::path::{Path, PathBuf};

use super::evaluate::{self, Evaluation};
use super::score::Report;
use crate::records::{self, Record};

/// How the extraction task is run.
#[derive(Args, Clone)]
pub struct TaskOptions {
    /// Score only the first N test examples.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Sequences in flight together on the engine.
    #[arg(long, alias = "eval-batch-size", default_value_t = 8)]
    pub max_seqs: usize,
    /// Enough for the demo task's longest answer (53 tokens).
    #[arg(long, default_value_t = 64)]
    pub max_new_tokens: usize,
    /// Print this many outputs per model.
    #[arg(long, default_value_t = 3)]
    pub show: usize,
}

#[derive(Args)]
pub struct EvalTaskArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Test JSONL (e.g. test.jsonl from `train gen-data`). With `--adapter`, the base model is
    /// scored first, then base + adapter.
    #[arg(long)]
    data: PathBuf,
    /// Write the reports and every output here (JSON).
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    opts: TaskOptions,
}

pub fn run(a: EvalTaskArgs) -> anyhow::Result<()> {
    let records = records::read(&a.data)?;
    let base = ModelArgs {
        adapter: None,
        ..a.model.clone()
    };
    let loaded = base.load()?;
    // Cloning shares the weights: only the adapted ones are new in the merged model.
    let models = match &a.model.adapter {
        Some(dir) => vec![
            ("base", loaded.model.clone()),
            (
                "tuned",
                model::weights::lora_adapter::load_adapter(loaded.model, dir)?,
            ),
        ],
        None => vec![("model", loaded.model)],
    };
    compare(
        &models,
        &loaded.tokenizer,
        &a.data,
        records,
        &a.opts,
        a.json.as_deref(),
    )
}

/// Scores each model in turn on `records` (read from `data`), prints a side-by-side table and
/// optionally writes JSON.
pub fn compare(
    models: &[(&str, Gemma3)],
    tok: &GemmaTokenizer,
    data: &Path,
    mut records: Vec<Record>,
    opts: &TaskOptions,
    json: Option<&Path>,
) -> anyhow::Result<()> {
    records.truncate(opts.limit.unwrap_or(records.len()));
    let items = evaluate::items(&records, tok)
        .with_context(|| format!("reading the test set {}", data.display()))?;
    let mut results: Vec<(&str, Evaluation)> = Vec::new();
    for (name, model) in models {
        println!(
            "scoring {name} on {} examples of {}",
            items.len(),
            data.display()
        );
        let eval = evaluate::evaluate(model, tok, &items, opts.max_seqs, opts.max_new_tokens)?;
        println!("{name}: {:.0} s", eval.secs);
        for o in eval.outputs.iter().take(opts.show) {
            println!("  {name} output: {:?}", o.text);
        }
        results.push((name, eval));
    }
    let columns: Vec<(&str, &Report)> = results.iter().map(|(n, e)| (*n, &e.report)).collect();
    println!("{}", evaluate::table(&columns));
    if let Some(path) = json {
        let value: serde_json::Map<String, serde_json::Value> = results
            .iter()
            .map(|(n, e)| Ok((n.to_string(), serde_json::to_value(e)?)))
            .collect::<anyhow::Result<_>>()?;
        std::fs::write(path, serde_json::to_string_pretty(&value)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
