//! Writes the seed corpus into `<dir>/<target>/<name>` (see `fuzz::seeds`).
//!   usage: fuzz-seeds DIR

use anyhow::{Context, bail};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        bail!("usage: fuzz-seeds DIR");
    };
    let real = gemma::paths::resolve_model(None).ok();
    let seeds = fuzz::seeds::all(&gemma::paths::data_dir(), real.as_deref())?;
    for seed in &seeds {
        let folder = dir.join(seed.target);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let path = folder.join(&seed.name);
        std::fs::write(&path, &seed.bytes)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!("{} seeds in {}", seeds.len(), dir.display());
    Ok(())
}
