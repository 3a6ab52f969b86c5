//! `eval`: evaluation commands. `eval score` scores IFEval responses, `eval ifeval` generates
//! and scores them, `eval perplexity` measures perplexity and KL divergence like llama.cpp,
//! `eval extraction` scores the fine-tuning demo task (contact details to JSON).

use clap::{Parser, Subcommand};
use eval::cli::{ifeval::IfevalArgs, perplexity::PerplexityArgs, score::ScoreArgs};

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
    /// Generate IFEval responses with the model (resumable), then score them.
    Ifeval(IfevalArgs),
    /// Perplexity over a text as llama-perplexity computes it; also saves logits and
    /// measures KL divergence against saved ones.
    Perplexity(PerplexityArgs),
    /// Score a model on the extraction task (`train gen-data`): valid JSON rate and field exact
    /// match; with --adapter, base and base + adapter side by side.
    Extraction(train::task::command::EvalTaskArgs),
}

fn main() {
    let result = match Cli::parse().command {
        Command::Score(args) => eval::cli::score::run(args),
        Command::Ifeval(args) => eval::cli::ifeval::run(args),
        Command::Perplexity(args) => eval::cli::perplexity::run(args),
        Command::Extraction(args) => train::task::command::run(args),
    };
    // The error chain on one line, without the backtrace `RUST_BACKTRACE` would add.
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
