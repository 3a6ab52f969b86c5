//! Where the evaluation data lives inside the data directory (`gemma::paths::data_dir`:
//! `$GEMMA_DATA_DIR`, else `shared/` beside the workspace). Nothing else in this crate names a
//! data path.

use std::path::{Path, PathBuf};

pub use gemma::paths::{DATA_DIR_ENV, data_dir};

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

/// The IFBench files: `<data-dir>/data/ifbench`.
pub fn ifbench_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("data/ifbench")
}

/// The IFBench test set: `<data-dir>/data/ifbench/IFBench_test.jsonl`.
pub fn ifbench_input_data(data_dir: &Path) -> PathBuf {
    ifbench_dir(data_dir).join("IFBench_test.jsonl")
}

/// The NLTK data the IFBench reference reads: `<data-dir>/data/ifbench/nltk_data`.
pub fn nltk_data(data_dir: &Path) -> PathBuf {
    ifbench_dir(data_dir).join("nltk_data")
}
