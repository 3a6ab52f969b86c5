//! `report.json` and `report.md`: the metrics, the per-type table, what could
//! not be paired, and caller-supplied run metadata (model, sampling, ...).

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::matching::UnmatchedResponse;
use super::metrics::Metrics;
use super::scoring::Evaluation;

/// The headline accuracies as fractions, under lm-eval's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    pub prompt_level_strict_acc: f64,
    pub inst_level_strict_acc: f64,
    pub prompt_level_loose_acc: f64,
    pub inst_level_loose_acc: f64,
    /// Mean of `prompt_level_strict_acc` and `inst_level_strict_acc`.
    pub avg_strict_acc: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub accuracy: Headline,
    /// Followed/total counts behind `accuracy`, and per instruction type.
    pub counts: Metrics,
    pub prompts_scored: usize,
    /// Keys of prompts without a response (not scored).
    pub unanswered_prompts: Vec<i64>,
    /// Responses whose prompt is not in the input data (not scored).
    pub unmatched_responses: Vec<UnmatchedResponse>,
    /// Whatever the caller attaches (`null` if nothing).
    pub metadata: Value,
}

impl Report {
    pub fn new(evaluation: &Evaluation, metadata: Value) -> Self {
        let counts = Metrics::compute(&evaluation.results);
        let accuracy = Headline {
            prompt_level_strict_acc: counts.prompt_level_strict_acc.value(),
            inst_level_strict_acc: counts.inst_level_strict_acc.value(),
            prompt_level_loose_acc: counts.prompt_level_loose_acc.value(),
            inst_level_loose_acc: counts.inst_level_loose_acc.value(),
            avg_strict_acc: counts.strict_average(),
        };
        Report {
            accuracy,
            counts,
            prompts_scored: evaluation.results.len(),
            unanswered_prompts: evaluation.unanswered.clone(),
            unmatched_responses: evaluation.unmatched.clone(),
            metadata,
        }
    }

    /// Writes `report.json` and `report.md` into `dir`.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        self.write_as(dir, "IFEval")
    }

    /// [`Report::write`] for another benchmark, named in the Markdown title (IFBench).
    pub fn write_as(&self, dir: &Path, benchmark: &str) -> io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        fs::write(dir.join("report.json"), json + "\n")?;
        fs::write(dir.join("report.md"), self.markdown(benchmark))
    }

    pub fn to_markdown(&self) -> String {
        self.markdown("IFEval")
    }

    /// The Markdown report, titled "<benchmark> results".
    pub fn markdown(&self, benchmark: &str) -> String {
        let pct = |x: f64| format!("{:.2}%", 100.0 * x);
        let mut md =
            format!("# {benchmark} results\n\n| metric | accuracy | followed |\n|---|---:|---:|\n");
        for (name, acc) in self.counts.headline() {
            let _ = writeln!(
                md,
                "| {name} | {} | {}/{} |",
                pct(acc.value()),
                acc.correct,
                acc.total
            );
        }
        let _ = writeln!(
            md,
            "| avg_strict_acc (mean of the two strict) | {} | |",
            pct(self.accuracy.avg_strict_acc)
        );
        let _ = writeln!(md, "\n{} prompts scored.", self.prompts_scored);
        if !self.unanswered_prompts.is_empty() {
            let keys: Vec<String> = self.unanswered_prompts.iter().map(i64::to_string).collect();
            let _ = writeln!(
                md,
                "\nPrompts without a response (not scored), by key: {}.",
                keys.join(", ")
            );
        }
        if !self.unmatched_responses.is_empty() {
            let _ = writeln!(md, "\nResponses matching no prompt (not scored):\n");
            for r in &self.unmatched_responses {
                let _ = writeln!(md, "- response {}: {:?}", r.index, r.prompt_start);
            }
        }
        md.push_str("\n## Per instruction type\n\n| instruction | count | strict | loose |\n|---|---:|---:|---:|\n");
        for (id, acc) in &self.counts.per_type {
            let (s, l) = (acc.strict, acc.loose);
            let _ = writeln!(
                md,
                "| {id} | {} | {} ({}) | {} ({}) |",
                s.total,
                pct(s.value()),
                s.correct,
                pct(l.value()),
                l.correct
            );
        }
        if !self.metadata.is_null() {
            let meta = serde_json::to_string_pretty(&self.metadata).unwrap_or_default();
            let _ = write!(md, "\n## Run metadata\n\n```json\n{meta}\n```\n");
        }
        md
    }
}
