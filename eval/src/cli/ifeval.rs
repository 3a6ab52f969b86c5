//! `eval ifeval` and `eval ifbench`: generate responses with the model (resumable), then score
//! them with the benchmark's checkers.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use gemma::args::ModelArgs;
use serde_json::{Value, json};

use super::score::print_headline;
use crate::benchmark::{Benchmark, BenchmarkKind};
use crate::data_dir::{self, DATA_DIR_ENV};
use crate::ifeval::InputExample;
use crate::ifeval_run::{
    self, ChatTemplate, DEFAULT_MAX_NEW_TOKENS, IfevalRunConfig, RESPONSES_FILE,
};
use crate::provenance::sha256_file;
use crate::shard::{Part, ShardArgs};

#[derive(Args)]
pub struct IfevalArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Only the first N prompts of the input data.
    #[arg(long)]
    limit: Option<usize>,
    /// Sequences in flight together (continuous batching; a finished one's place goes to
    /// the next prompt at once).
    #[arg(long, alias = "batch-size", default_value_t = 16)]
    max_seqs: usize,
    /// Most tokens generated per response (lm-eval: 1280).
    #[arg(long, default_value_t = DEFAULT_MAX_NEW_TOKENS)]
    max_new_tokens: usize,
    /// `auto`: the Gemma chat template; `none`: the raw prompt. Either way one `<bos>`.
    #[arg(long, value_enum, default_value_t = ChatTemplate::Auto)]
    chat_template: ChatTemplate,
    /// Prompts in Google's input_data JSONL format [default: the benchmark's test set,
    /// <data-dir>/data/ifeval/input_data.jsonl or <data-dir>/data/ifbench/IFBench_test.jsonl].
    #[arg(long)]
    input_data: Option<PathBuf>,
    /// Data directory [default: <workspace>/../shared].
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    /// Folder for responses.jsonl (resumed if present), eval_results_{strict,loose}.jsonl,
    /// report.json and report.md.
    #[arg(long)]
    output_dir: PathBuf,
    #[command(flatten)]
    shard: ShardArgs,
}

pub fn run(args: IfevalArgs, kind: BenchmarkKind) -> Result<()> {
    // Everything that can be wrong is checked before the model loads: the input data (every
    // instruction id and kwarg), the backend, the model files and the output folder.
    let data_dir = args.data_dir.unwrap_or_else(data_dir::data_dir);
    let benchmark = Benchmark::open(kind, &data_dir)?;
    let input_path = args
        .input_data
        .unwrap_or_else(|| benchmark.default_input(&data_dir));
    let mut inputs: Vec<InputExample> = benchmark.read_inputs(&input_path)?;
    inputs.truncate(args.limit.unwrap_or(usize::MAX));
    let shard = args.shard.resolve()?;
    // A shard records what the whole run covers, for `eval merge` to re-derive the split.
    let part = (!shard.is_whole())
        .then(|| -> Result<Part> {
            Ok(Part {
                shard,
                task: benchmark.name().into(),
                work: json!({
                    "input_data": input_path.display().to_string(),
                    "input_sha256": sha256_file(&input_path)?,
                    "limit": args.limit,
                    "prompts": inputs.len(),
                }),
            })
        })
        .transpose()?;
    let inputs = shard.select(&inputs);
    let files = args.model.resolve()?;
    let (mut identity, mut metadata) = super::describe(benchmark.name(), &args.model, &files)?;
    // A folder holds one benchmark's responses.
    identity["benchmark"] = benchmark.name().into();
    metadata.insert("input_data".into(), input_path.display().to_string().into());
    metadata.insert("limit".into(), args.limit.map_or(Value::Null, Value::from));
    let cfg = IfevalRunConfig {
        output_dir: shard.folder(&args.output_dir),
        max_seqs: args.max_seqs,
        max_new_tokens: args.max_new_tokens,
        chat_template: args.chat_template,
        identity,
        part,
    };
    let folder = cfg.open(&inputs)?;
    let loaded = args.model.load_files(files)?;
    metadata.insert("load_secs".into(), loaded.load_secs.into());
    let (report, summary) = ifeval_run::run(
        &loaded.model,
        &loaded.tokenizer,
        &benchmark,
        &inputs,
        &cfg,
        folder,
        metadata,
    )?;
    print_headline(&report);
    println!(
        "{} prompts ({} resumed); this run generated {} tokens at {:.1} tok/s",
        summary.records.len(),
        summary.resumed,
        summary.generated_tokens,
        summary.tokens_per_sec()
    );
    println!(
        "wrote {} and the reports in {}",
        RESPONSES_FILE,
        cfg.output_dir.display()
    );
    if !shard.is_whole() {
        println!(
            "shard {shard}: once all {} have finished, `eval merge {}` joins them",
            shard.count,
            args.output_dir.display()
        );
    }
    Ok(())
}
