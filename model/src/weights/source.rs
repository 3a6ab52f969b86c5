//! What every weight file offers the loader: HF-named tensors, its config, and its size.

use anyhow::bail;
use std::path::Path;

use crate::config::Gemma3Config;

/// The tied embedding's tensor, in HF's names.
pub const EMBEDDING: &str = "model.embed_tokens.weight";

/// A file of weights addressed by HF names.
pub trait WeightSource {
    /// The file, for error messages.
    fn path(&self) -> &Path;
    fn config(&self) -> &Gemma3Config;
    /// `(shape, row-major values)` of an HF-named tensor, or an error naming the file and tensor.
    fn load(&self, hf_name: &str) -> anyhow::Result<(Vec<usize>, Vec<f32>)>;
    /// Bytes of tensor data the file holds.
    fn stored_bytes(&self) -> u64;
}

/// Refuses a config whose weights `stored` bytes could not hold even at 2 bits each (below every
/// format that loads), before `init` allocates them: a small file with a corrupt size in its
/// config must fail, not exhaust memory.
pub fn check_fits(config: &Gemma3Config, stored: u64, path: &Path) -> anyhow::Result<()> {
    let parameters = config.parameter_count();
    if parameters / 4 > stored {
        bail!(
            "{}: the config describes {parameters} parameters, but the file holds only {stored} \
             bytes of tensors: truncated, or a corrupt config",
            path.display()
        );
    }
    Ok(())
}
