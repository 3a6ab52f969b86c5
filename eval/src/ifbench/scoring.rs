//! Strict and loose verdicts, as `evaluation_lib.test_instruction_following_strict`
//! and `..._loose` of the IFBench reference: IFEval's scoring (eight loose
//! variants, blank texts never follow) after dropping `null` kwargs.

use std::path::Path;
use std::sync::Arc;

use super::checkers::{Checker, Context};
use super::registry::{self, InstructionError};
use super::text::nltk::{Nltk, NltkError};
use super::text::random::PyRandom;
use crate::ifeval::scoring::{build_checkers, evaluate_with, score_checkers};
use crate::ifeval::{Evaluation, InputExample, PromptResult, ResponseExample};

/// A prompt whose instructions cannot be checked: IFEval's error with IFBench's registry.
pub type ScoreError = crate::ifeval::ScoreError<InstructionError>;

/// Scores IFBench prompts; holds the NLTK data some checkers read.
pub struct Scorer {
    nltk: Arc<Nltk>,
}

impl Scorer {
    /// Loads the NLTK data from `<data-dir>/data/ifbench/nltk_data`.
    pub fn new(data_dir: &Path) -> Result<Self, NltkError> {
        Ok(Scorer {
            nltk: Arc::new(Nltk::load(&crate::data_dir::nltk_data(data_dir))?),
        })
    }

    /// The checkers of a prompt's instructions, or why one cannot be built.
    ///
    /// Random draws (only `repeat:repeat_span` without a start or end) come
    /// from a generator seeded with 0 for each prompt, as in the harness that
    /// made the golden verdicts (`random.seed(0)` before each scoring call;
    /// the strict and the loose call draw the same values).
    pub fn checkers(&self, input: &InputExample) -> Result<Vec<Box<dyn Checker>>, ScoreError> {
        let mut random = PyRandom::seed_zero();
        let mut context = Context {
            nltk: &self.nltk,
            random: &mut random,
        };
        build_checkers(input, |id, kwargs| {
            registry::checker(id, kwargs, &mut context)
        })
    }

    /// Scores one prompt's instructions against its response.
    pub fn score_prompt(
        &self,
        input: &InputExample,
        response: &str,
    ) -> Result<PromptResult, ScoreError> {
        Ok(score_checkers(input, response, &self.checkers(input)?))
    }

    /// Pairs responses with prompts by prompt text and scores every pair.
    pub fn evaluate(
        &self,
        inputs: &[InputExample],
        responses: &[ResponseExample],
    ) -> Result<Evaluation, ScoreError> {
        evaluate_with(inputs, responses, |input, response| {
            self.score_prompt(input, response)
        })
    }
}
