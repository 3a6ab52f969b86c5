//! Run metrics: one plain line per event on stdout (CI-friendly) and one JSON object per event
//! in `metrics.jsonl`.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::loss::Stats;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Valid,
}

/// One logged measurement, after optimizer step `step` (1-based) for training entries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub split: Split,
    pub step: usize,
    pub loss: f64,
    pub perplexity: f64,
    pub accuracy: f64,
    pub tokens: usize,
    /// Training only: learning rate, gradient norm before clipping, seconds for the step.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub grad_norm: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secs: Option<f64>,
}

impl Entry {
    pub fn new(split: Split, step: usize, stats: &Stats) -> Self {
        Self {
            split,
            step,
            loss: stats.loss(),
            perplexity: stats.perplexity(),
            accuracy: stats.accuracy(),
            tokens: stats.tokens,
            lr: None,
            grad_norm: None,
            secs: None,
        }
    }

    /// The plain log line.
    pub fn line(&self, total_steps: usize) -> String {
        let head = match self.split {
            Split::Train => format!("step {:>5}/{total_steps}", self.step),
            Split::Valid => format!("valid @ {:>5}", self.step),
        };
        let mut line = format!(
            "{head}  loss {:.4}  ppl {:.3}  acc {:.1}%  tokens {}",
            self.loss,
            self.perplexity,
            100.0 * self.accuracy,
            self.tokens
        );
        if let (Some(lr), Some(g), Some(s)) = (self.lr, self.grad_norm, self.secs) {
            line.push_str(&format!("  lr {lr:.2e}  |g| {g:.3}  {s:.1} s"));
        }
        line
    }
}

/// `metrics.jsonl` in the run folder.
pub struct MetricsLog {
    path: PathBuf,
}

impl MetricsLog {
    /// Opens the log; a resumed run first drops what an interrupted session logged after the
    /// checkpoint it resumes from, so the file holds one clean curve.
    pub fn open(dir: &Path, resumed_at: usize) -> anyhow::Result<Self> {
        let path = dir.join("metrics.jsonl");
        let kept: Vec<String> = match std::fs::read_to_string(&path) {
            Ok(text) if resumed_at > 0 => text
                .lines()
                .filter(|l| serde_json::from_str::<Entry>(l).is_ok_and(|e| e.step <= resumed_at))
                .map(|l| format!("{l}\n"))
                .collect(),
            _ => vec![],
        };
        std::fs::write(&path, kept.concat())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Self { path })
    }

    /// Prints `entry` and appends it to the file.
    pub fn log(&mut self, entry: &Entry, total_steps: usize) -> anyhow::Result<()> {
        println!("{}", entry.line(total_steps));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        writeln!(f, "{}", serde_json::to_string(entry)?)
            .with_context(|| format!("writing {}", self.path.display()))
    }
}
