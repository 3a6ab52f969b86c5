//! `eval`: evaluation commands. `eval score` scores IFEval or IFBench responses, `eval ifeval`
//! and `eval ifbench` generate and score them, `eval perplexity` measures perplexity and KL
//! divergence like llama.cpp, `eval extraction` scores the fine-tuning demo task (contact
//! details to JSON).

use clap::{Parser, Subcommand};
use eval::benchmark::BenchmarkKind;
use eval::cli::{
    ifeval::IfevalArgs, merge::MergeArgs, perplexity::PerplexityArgs, score::ScoreArgs,
};

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
    /// Score responses with the IFEval checkers (as Google's evaluation_main does) or, with
    /// `--benchmark ifbench`, the IFBench ones (as the reference's run_eval does).
    Score(ScoreArgs),
    /// Generate IFEval responses with the model (resumable), then score them.
    Ifeval(IfevalArgs),
    /// Generate IFBench responses with the model (resumable), then score them with the 57
    /// IFBench checkers.
    Ifbench(IfevalArgs),
    /// Perplexity over a text as llama-perplexity computes it; also saves logits and
    /// measures KL divergence against saved ones.
    Perplexity(PerplexityArgs),
    /// Join the shards of a run made with `--shard I/N` (ifeval, ifbench, perplexity) into
    /// the folder one run writes; a missing, duplicated or mismatched shard is refused.
    Merge(MergeArgs),
    /// Score a model on the extraction task (data from `train gen-data`): valid JSON rate and field exact
    /// match; with --adapter, base and base + adapter side by side.
    Extraction(eval::extraction::command::EvalTaskArgs),
}

fn main() {
    let command = Cli::parse().command;
    // On a rayon worker: see `kernels::threads`.
    let result = kernels::threads::install(None, || match command {
        Command::Score(args) => eval::cli::score::run(args),
        Command::Ifeval(args) => eval::cli::ifeval::run(args, BenchmarkKind::Ifeval),
        Command::Ifbench(args) => eval::cli::ifeval::run(args, BenchmarkKind::Ifbench),
        Command::Perplexity(args) => eval::cli::perplexity::run(args),
        Command::Merge(args) => eval::cli::merge::run(args),
        Command::Extraction(args) => eval::extraction::command::run(args),
    });
    // The error chain on one line, without the backtrace `RUST_BACKTRACE` would add.
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
