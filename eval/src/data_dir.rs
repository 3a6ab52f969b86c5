//! Where the project's data lives: `$GEMMA_DATA_DIR`, else `shared/` beside
//! the workspace. Nothing else in this crate names a data path.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "GEMMA_DATA_DIR";

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// `$GEMMA_DATA_DIR`, else `<workspace>/../shared`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("../shared"),
    }
}

/// The IFEval files: `<data-dir>/data/ifeval`.
pub fn ifeval_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("data/ifeval")
}

/// The official IFEval prompts: `<data-dir>/data/ifeval/input_data.jsonl`.
pub fn ifeval_input_data(data_dir: &Path) -> PathBuf {
    ifeval_dir(data_dir).join("input_data.jsonl")
}

/// WikiText-2 (raw) test set: `<data-dir>/data/wikitext-2/wiki.test.raw`.
pub fn wikitext2_test(data_dir: &Path) -> PathBuf {
    data_dir.join("data/wikitext-2/wiki.test.raw")
}
