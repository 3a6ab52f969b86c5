//! `gemma`: run Gemma 3 from the command line. One file per command.

mod backends;
mod bench;
mod chat;
mod convert;
mod generate;
mod inspect;
mod logits;
mod serve;

use clap::{Parser, Subcommand};
use kernels::threads::install;

#[derive(Parser)]
#[command(
    name = "gemma",
    version,
    about = "Gemma 3 in Burn: generate, chat, serve, logits, backends, convert, bench, inspect"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a continuation, streamed, then print prefill and decode speed.
    Generate(generate::Args),
    /// Chat interactively (one line per user turn; an empty line or EOF ends).
    Chat(chat::Args),
    /// Serve the OpenAI API (completions, chat completions, streaming) on the engine.
    Serve(serve::Args),
    /// Print the input ids and the top-k logits at the last position.
    Logits(logits::Args),
    /// List the compiled backends and probe each (device, dtypes, a test matmul).
    Backends(backends::Args),
    /// Convert a model (GGUF or HF checkpoint) to HF-layout safetensors or Burn's burnpack.
    Convert(convert::Args),
    /// Measure prefill, decode, batched decode, time to first token and memory on fixed prompts.
    Bench(bench::Args),
    /// Print a GGUF file's metadata and tensor table.
    Inspect(inspect::Args),
}

fn main() {
    // On a rayon worker (see `kernels::threads`); serve runs its engine on a pool of its own, and
    // bench on one of --threads.
    let result = match Cli::parse().cmd {
        Cmd::Generate(args) => install(None, || generate::run(args)),
        Cmd::Chat(args) => install(None, || chat::run(args)),
        Cmd::Serve(args) => serve::run(args),
        Cmd::Logits(args) => install(None, || logits::run(args)),
        Cmd::Backends(args) => install(None, || backends::run(args)),
        Cmd::Convert(args) => install(None, || convert::run(args)),
        Cmd::Bench(args) => bench::run(args),
        Cmd::Inspect(args) => install(None, || inspect::run(args)),
    };
    // The error chain on one line, without the backtrace `RUST_BACKTRACE` would add.
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
