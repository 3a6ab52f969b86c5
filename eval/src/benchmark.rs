//! The instruction-following benchmarks that share one response format and one report: IFEval
//! (Google's checkers) and IFBench (the 57 out-of-distribution ones). Generation, resume and
//! reports are the same for both; what differs is here: the prompts, their checks and scoring.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ValueEnum;

use crate::data_dir;
use crate::ifbench;
use crate::ifeval::{self, Evaluation, InputExample, Report, ResponseExample};

/// Which benchmark, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchmarkKind {
    Ifeval,
    Ifbench,
}

/// A benchmark ready to check prompts and score responses.
pub enum Benchmark {
    Ifeval,
    /// IFBench's checkers read NLTK data from the data directory once.
    Ifbench(ifbench::Scorer),
}

impl std::fmt::Debug for Benchmark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Benchmark {
    /// Loads what scoring needs (IFBench: the NLTK data under `data_dir`).
    pub fn open(kind: BenchmarkKind, data_dir: &Path) -> Result<Self> {
        Ok(match kind {
            BenchmarkKind::Ifeval => Self::Ifeval,
            BenchmarkKind::Ifbench => Self::Ifbench(ifbench::Scorer::new(data_dir)?),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Ifeval => "ifeval",
            Self::Ifbench(_) => "ifbench",
        }
    }

    /// The test set in the data directory.
    pub fn default_input(&self, data_dir: &Path) -> PathBuf {
        match self {
            Self::Ifeval => data_dir::ifeval_input_data(data_dir),
            Self::Ifbench(_) => data_dir::ifbench_input_data(data_dir),
        }
    }

    /// The prompts of `path`, every instruction id and kwarg checked (an error names the line).
    pub fn read_inputs(&self, path: &Path) -> Result<Vec<InputExample>> {
        Ok(match self {
            Self::Ifeval => ifeval::io::read_inputs(path)?,
            Self::Ifbench(scorer) => ifbench::io::read_inputs(path, scorer)?,
        })
    }

    /// Pairs responses with prompts by prompt text and scores every pair.
    pub fn evaluate(
        &self,
        inputs: &[InputExample],
        responses: &[ResponseExample],
    ) -> Result<Evaluation> {
        Ok(match self {
            Self::Ifeval => ifeval::evaluate(inputs, responses)?,
            Self::Ifbench(scorer) => scorer.evaluate(inputs, responses)?,
        })
    }

    /// `eval_results_{strict,loose}.jsonl`, `report.json` and `report.md` into `dir`.
    pub fn write_results(
        &self,
        dir: &Path,
        evaluation: &Evaluation,
        report: &Report,
    ) -> std::io::Result<()> {
        match self {
            Self::Ifeval => ifeval::write_results(dir, evaluation, report),
            Self::Ifbench(_) => ifbench::write_results(dir, evaluation, report),
        }
    }
}
