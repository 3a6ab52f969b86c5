//! Where the project finds its model files and its shared data.
//!
//! Model: `--model`, then `$GEMMA_MODEL`, then the cache that `scripts/fetch-model.sh` fills.
//! Data (IFEval, WikiText-2, fixtures): `$GEMMA_DATA_DIR`, else `../shared` beside the workspace.

use std::path::{Path, PathBuf};

pub const GGUF_FILE: &str = "gemma-3-270m-q4_k_m.gguf";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const FETCH_COMMAND: &str = "scripts/fetch-model.sh";

/// The environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "GEMMA_DATA_DIR";

/// Workspace root (the folder holding the top-level Cargo.toml), where the scripts and the fetch
/// cache live.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the gemma crate sits in the workspace")
        .to_path_buf()
}

/// `$NAME` when set and not empty.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The model cache: `$GEMMA_CACHE_DIR`, else `<workspace>/.cache/models`.
pub fn cache_dir() -> PathBuf {
    env_path("GEMMA_CACHE_DIR").unwrap_or_else(|| workspace_root().join(".cache/models"))
}

/// The shared data folder: `$GEMMA_DATA_DIR`, else `<workspace>/../shared`.
pub fn data_dir() -> PathBuf {
    env_path(DATA_DIR_ENV).unwrap_or_else(|| workspace_root().join("../shared"))
}

/// Resolve the model path from an explicit flag, `$GEMMA_MODEL`, or the cache.
/// A missing file is an error that names the command that fetches it.
pub fn resolve_model(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = explicit
        .map(Path::to_path_buf)
        .or_else(|| env_path("GEMMA_MODEL"))
        .unwrap_or_else(|| cache_dir().join(GGUF_FILE));
    if path.exists() {
        Ok(path)
    } else {
        anyhow::bail!(
            "model file {} not found; fetch it with `{FETCH_COMMAND}` (or pass --model / set GEMMA_MODEL)",
            path.display()
        )
    }
}

/// The default model for a command: `--model`, `$GEMMA_MODEL`, else the cache, filled by
/// running `scripts/fetch-model.sh` first when it is empty (so every command fetches what it
/// needs). Tests use [`real_model_for_tests`], which never downloads.
pub fn resolve_or_fetch_model(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let missing = match resolve_model(explicit) {
        Ok(path) => return Ok(path),
        Err(e) => e,
    };
    let script = workspace_root().join(FETCH_COMMAND);
    if explicit.is_some() || env_path("GEMMA_MODEL").is_some() || !script.is_file() {
        return Err(missing);
    }
    eprintln!("{missing}\nfetching it: {}", script.display());
    let status = std::process::Command::new("bash")
        .arg(&script)
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", script.display()))?;
    if !status.success() {
        anyhow::bail!("{} failed ({status}); {missing}", script.display());
    }
    resolve_model(None)
}

/// The tokenizer.json next to the model, else in the cache.
pub fn resolve_tokenizer(model: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let beside = model.with_file_name(TOKENIZER_FILE);
    [beside, cache_dir().join(TOKENIZER_FILE)]
        .into_iter()
        .find(|p| p.exists())
}

/// The real model for tests, or `None` with a loud note so a skip is never silent.
pub fn real_model_for_tests() -> Option<PathBuf> {
    match resolve_model(None) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("SKIPPED (real model absent): {e}");
            None
        }
    }
}
