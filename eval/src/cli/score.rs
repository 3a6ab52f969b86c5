//! `eval score`: score existing IFEval (default) or IFBench responses.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use crate::benchmark::{Benchmark, BenchmarkKind};
use crate::data_dir::{self, DATA_DIR_ENV};
use crate::ifeval::{InputExample, Report, ResponseExample, io::read_jsonl};

#[derive(Args)]
pub struct ScoreArgs {
    /// The benchmark the prompts belong to.
    #[arg(long, value_enum, default_value = "ifeval")]
    benchmark: BenchmarkKind,
    /// Prompts in Google's input_data JSONL format [default:
    /// <data-dir>/data/ifeval/input_data.jsonl, for IFBench
    /// <data-dir>/data/ifbench/IFBench_test.jsonl].
    #[arg(long)]
    input_data: Option<PathBuf>,
    /// Responses: JSONL lines with "prompt" and "response", matched by prompt text.
    #[arg(long)]
    responses: PathBuf,
    /// Directory for eval_results_strict.jsonl, eval_results_loose.jsonl,
    /// report.json and report.md.
    #[arg(long)]
    output_dir: PathBuf,
    /// Data directory [default: <workspace>/../shared].
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
}

pub fn run(args: ScoreArgs) -> Result<()> {
    let data_dir = args.data_dir.unwrap_or_else(data_dir::data_dir);
    let benchmark = Benchmark::open(args.benchmark, &data_dir)?;
    let input_path = args
        .input_data
        .unwrap_or_else(|| benchmark.default_input(&data_dir));
    let inputs: Vec<InputExample> = benchmark.read_inputs(&input_path)?;
    let responses: Vec<ResponseExample> = read_jsonl(&args.responses)?;
    let evaluation = benchmark.evaluate(&inputs, &responses)?;
    for key in &evaluation.unanswered {
        eprintln!("warning: prompt {key} has no response; not scored");
    }
    for r in &evaluation.unmatched {
        eprintln!(
            "warning: response {} matches no prompt ({:?}); not scored",
            r.index, r.prompt_start
        );
    }
    let metadata = json!({
        "command": "score",
        "benchmark": benchmark.name(),
        "input_data": input_path.display().to_string(),
        "responses": args.responses.display().to_string(),
    });
    let report = Report::new(&evaluation, metadata);
    benchmark
        .write_results(&args.output_dir, &evaluation, &report)
        .with_context(|| format!("writing results to {}", args.output_dir.display()))?;
    print_headline(&report);
    println!("wrote {}", args.output_dir.display());
    Ok(())
}

/// The four accuracies and their strict average.
pub fn print_headline(report: &Report) {
    for (name, acc) in report.counts.headline() {
        println!(
            "{name:<24} {:>7.2}%  ({}/{})",
            100.0 * acc.value(),
            acc.correct,
            acc.total
        );
    }
    println!(
        "{:<24} {:>7.2}%",
        "avg_strict_acc",
        100.0 * report.accuracy.avg_strict_acc
    );
}
