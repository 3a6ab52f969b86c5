//! `train`: fine-tune Gemma 3 (full or LoRA) from JSONL, write the demo extraction task's data
//! (scored by `eval extraction`), merge adapters into standalone checkpoints.

mod cli;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "train",
    about = "Fine-tune Gemma 3 (full or LoRA) and measure it"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fine-tune on JSONL (chat or prompt/completion records).
    Finetune(Box<cli::finetune::FinetuneArgs>),
    /// Write the demo task's train/valid/test splits (contact extraction to JSON).
    GenData(cli::gen_data::GenDataArgs),
    /// Merge a LoRA adapter into its base and write an HF checkpoint.
    Export(cli::export::ExportArgs),
    /// Training throughput of each data-parallel replica layout, with ratios to the first.
    Bench(Box<cli::bench::BenchArgs>),
}

fn main() -> anyhow::Result<()> {
    let cmd = Cli::parse().cmd;
    // On a rayon worker: see `kernels::threads`.
    kernels::threads::install(None, || match cmd {
        Cmd::Finetune(args) => cli::finetune::run(*args),
        Cmd::GenData(args) => cli::gen_data::run(args),
        Cmd::Export(args) => cli::export::run(args),
        Cmd::Bench(args) => cli::bench::run(*args),
    })
}
