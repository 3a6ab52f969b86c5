use anyhow::Context;
use clap::Args;
use gemma::args::ModelArgs;
use std::path::PathBuf;

/// `--adapter` (in the model options) names the LoRA folder to merge.
#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Output folder for the merged HF checkpoint.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: ExportArgs) -> anyhow::Result<()> {
    let adapter = a
        .model
        .adapter
        .clone()
        .context("--adapter DIR is required: the LoRA adapter to merge")?;
    let loaded = a.model.load()?;
    train::export::save_merged(&loaded.model, &a.out)?;
    println!(
        "wrote {} merged with {} to {}",
        loaded.model_path.display(),
        adapter.display(),
        a.out.display()
    );
    Ok(())
}
