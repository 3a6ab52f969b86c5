//! `eval score`: score existing IFEval responses.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use crate::data_dir::{self, DATA_DIR_ENV};
use crate::ifeval::{
    self, InputExample, Report, ResponseExample,
    io::{read_inputs, read_jsonl},
};

#[derive(Args)]
pub struct ScoreArgs {
    /// Prompts in Google's input_data JSONL format
    /// [default: <data-dir>/data/ifeval/input_data.jsonl].
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

/// `--input-data`, else the IFEval prompts in the data directory.
pub fn input_data_path(input_data: Option<PathBuf>, data_dir: Option<PathBuf>) -> PathBuf {
    input_data.unwrap_or_else(|| {
        data_dir::ifeval_input_data(&data_dir.unwrap_or_else(data_dir::data_dir))
    })
}

pub fn run(args: ScoreArgs) -> Result<()> {
    let input_path = input_data_path(args.input_data, args.data_dir);
    let inputs: Vec<InputExample> = read_inputs(&input_path)?;
    let responses: Vec<ResponseExample> = read_jsonl(&args.responses)?;
    let evaluation = ifeval::evaluate(&inputs, &responses)?;
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
        "input_data": input_path.display().to_string(),
        "responses": args.responses.display().to_string(),
    });
    let report = Report::new(&evaluation, metadata);
    ifeval::write_results(&args.output_dir, &evaluation, &report)
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
