//! `experiments`: research runs over the model. `experiments quantization` is the study of
//! precision against accuracy, memory and speed.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "experiments",
    version,
    about = "Research runs over Gemma 3 270M"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Each precision (f32, bf16, int8, int4, int2; simulated or packed; embedding quantized
    /// or not) against PPL, KLD, IFEval, weight bytes and tok/s. Resumable.
    Quantization(Box<experiments::cli::QuantizationArgs>),
    /// Join the shards of a study run with `--shard I/N` into the tables, report and plots one
    /// run writes; a missing, duplicated or mismatched shard is refused.
    Merge(experiments::cli::MergeArgs),
    /// Redraw a finished study's plots from its results.json, without rerunning it.
    Plot(experiments::cli::PlotArgs),
}

fn main() {
    let command = Cli::parse().command;
    // On a rayon worker: see `kernels::threads`.
    let result = kernels::threads::install(None, || match command {
        Command::Quantization(args) => experiments::cli::run(*args),
        Command::Merge(args) => experiments::cli::merge(args),
        Command::Plot(args) => experiments::cli::plot(args),
    });
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
