//! `gemma inspect`: a GGUF file's metadata and tensor table.

use std::path::PathBuf;

use anyhow::Context;
use gguf::GgufFile;

#[derive(clap::Args)]
pub struct Args {
    /// The GGUF file [default: $GEMMA_MODEL, then the fetch cache].
    #[arg(long)]
    model: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let path = gemma::paths::resolve_or_fetch_model(args.model.as_deref())?;
    let file = GgufFile::open(&path)
        .with_context(|| format!("inspect needs a GGUF file: {}", path.display()))?;
    println!("{} (GGUF v{})", path.display(), file.version());
    for (key, value) in file.metadata() {
        let shown = match value.as_array() {
            Some(items) => format!("[{} items]", items.len()),
            None => format!("{value:?}"),
        };
        println!("  {key} = {shown}");
    }
    println!("{} tensors:", file.tensors().len());
    for t in file.tensors() {
        println!(
            "  {:<32} {:<6} {:?} @ {} ({} bytes)",
            t.name,
            t.ggml_type.name(),
            t.shape(),
            t.offset,
            t.n_bytes
        );
    }
    Ok(())
}
