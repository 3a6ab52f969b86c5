//! `eval`: evaluation commands. `eval score` scores IFEval responses.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use eval::data_dir::{self, DATA_DIR_ENV};
use eval::ifeval::{self, InputExample, Report, ResponseExample, io::read_jsonl};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "eval",
    version,
    about = "Evaluation tools for the Gemma 3 framework"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Score responses with the IFEval checkers, as Google's evaluation_main does.
    Score(ScoreArgs),
}

#[derive(Args)]
struct ScoreArgs {
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

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Score(args) => score(args),
    }
}

fn score(args: ScoreArgs) -> Result<()> {
    let data_dir = args.data_dir.unwrap_or_else(data_dir::data_dir);
    let input_path = args
        .input_data
        .unwrap_or_else(|| data_dir::ifeval_input_data(&data_dir));
    let inputs: Vec<InputExample> = read_jsonl(&input_path)?;
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
    println!("wrote {}", args.output_dir.display());
    Ok(())
}
