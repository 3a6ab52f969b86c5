//! IFEval ("Instruction-Following Evaluation for Large Language Models",
//! Zhou et al. 2023) scored exactly as Google's reference implementation
//! (google-research `instruction_following_eval`) scores it.
//!
//! Typical use: [`io::read_jsonl`] the prompts and responses, [`evaluate`],
//! then [`write_results`] with a [`Report`] carrying the caller's metadata.

pub mod checkers;
pub mod examples;
pub mod io;
pub mod kwargs;
pub mod matching;
pub mod metrics;
pub mod registry;
pub mod report;
pub mod scoring;
pub mod text;

use std::path::Path;

pub use examples::{InputExample, OutputExample, ResponseExample};
pub use metrics::Metrics;
pub use report::Report;
pub use scoring::{Evaluation, PromptResult, ScoreError, evaluate};

/// Writes the reference's `eval_results_strict.jsonl` and
/// `eval_results_loose.jsonl` plus `report.json` and `report.md` into `dir`
/// (created if needed).
pub fn write_results(dir: &Path, evaluation: &Evaluation, report: &Report) -> std::io::Result<()> {
    write_results_as(dir, evaluation, report, "IFEval")
}

/// [`write_results`] for another benchmark scored the same way (IFBench).
pub fn write_results_as(
    dir: &Path,
    evaluation: &Evaluation,
    report: &Report,
    benchmark: &str,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, loose) in [
        ("eval_results_strict.jsonl", false),
        ("eval_results_loose.jsonl", true),
    ] {
        let outputs: Vec<OutputExample> =
            evaluation.results.iter().map(|r| r.output(loose)).collect();
        io::write_outputs(&dir.join(name), &outputs)?;
    }
    report.write_as(dir, benchmark)
}
