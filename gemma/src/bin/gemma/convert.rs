//! `gemma convert`: a model (GGUF or HF checkpoint) as HF-layout safetensors or burnpack.

use std::path::PathBuf;
use std::time::Instant;

use gemma::args::ModelArgs;
use gemma::paths::TOKENIZER_FILE;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long, value_enum)]
    to: Target,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Target {
    /// `config.json` + `model.safetensors`, HF names and layout (transformers can load it).
    Safetensors,
    /// `config.json` + `model.bpk`, Burn's own format (fastest to load).
    Burnpack,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.model.packed.is_some() {
        anyhow::bail!(
            "--packed: convert writes float weights (safetensors or burnpack), so a packed model cannot be converted; drop --packed (every command packs at load time with --packed)"
        );
    }
    let loaded = args.model.load_and_report()?;
    let start = Instant::now();
    match args.to {
        Target::Safetensors => model::weights::hf_export::save(&loaded.model, &args.out)?,
        Target::Burnpack => model::weights::burnpack::save(&loaded.model, &args.out)?,
    }
    // The folder is self-contained: the tokenizer travels with the weights.
    std::fs::copy(&loaded.tokenizer_path, args.out.join(TOKENIZER_FILE))?;
    eprintln!(
        "wrote {} in {:.1}s",
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
