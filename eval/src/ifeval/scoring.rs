//! Strict and loose verdicts, as `evaluation_lib.test_instruction_following_strict`
//! and `..._loose`.

use serde_json::{Map, Value};

use super::checkers::Checker;
use super::examples::{InputExample, OutputExample, ResponseExample};
use super::matching::{UnmatchedResponse, match_responses};
use super::registry::{self, InstructionError};
use super::text::pystr;

/// A prompt whose instructions cannot be checked; `E` says why one instruction cannot be
/// (each benchmark's registry has its own).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError<E: std::fmt::Display = InstructionError> {
    #[error("prompt key {key}, instruction_id_list[{index}] {instruction:?}: {error}")]
    Instruction {
        key: i64,
        index: usize,
        instruction: String,
        error: E,
    },
    #[error("prompt key {key}: {instructions} instructions but {kwargs} kwargs objects")]
    KwargsCount {
        key: i64,
        instructions: usize,
        kwargs: usize,
    },
}

/// The verdicts for one prompt and its response.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptResult {
    pub key: i64,
    pub instruction_id_list: Vec<String>,
    pub prompt: String,
    pub response: String,
    pub strict: Vec<bool>,
    pub loose: Vec<bool>,
}

impl PromptResult {
    /// The reference's output record for the strict or loose verdicts.
    pub fn output(&self, loose: bool) -> OutputExample {
        let follow = if loose { &self.loose } else { &self.strict };
        OutputExample {
            follow_all_instructions: follow.iter().all(|&f| f),
            follow_instruction_list: follow.clone(),
            instruction_id_list: self.instruction_id_list.clone(),
            prompt: self.prompt.clone(),
            response: self.response.clone(),
        }
    }
}

/// The loose variants in the reference's order: the response, without `*`,
/// without its first line, last line, both, and those three without `*`.
/// Only the variants with dropped lines are stripped.
pub fn loose_variants(response: &str) -> [String; 8] {
    let lines: Vec<&str> = response.split('\n').collect();
    let n = lines.len();
    let join =
        |from: usize, to: usize| pystr::strip(&lines[from.min(to)..to].join("\n")).to_owned();
    let remove_first = join(1, n);
    let remove_last = join(0, n - 1);
    let remove_both = join(1, n - 1);
    let no_stars = |s: &str| s.replace('*', "");
    let (first_no_stars, last_no_stars, both_no_stars) = (
        no_stars(&remove_first),
        no_stars(&remove_last),
        no_stars(&remove_both),
    );
    [
        response.to_owned(),
        no_stars(response),
        remove_first,
        remove_last,
        remove_both,
        first_no_stars,
        last_no_stars,
        both_no_stars,
    ]
}

/// Whether one text follows the instruction: blank texts never do.
fn follows(checker: &dyn Checker, text: &str) -> bool {
    !pystr::strip(text).is_empty() && checker.check(text)
}

/// The checkers of a prompt's instructions, or why one cannot be built.
pub fn checkers(input: &InputExample) -> Result<Vec<Box<dyn Checker>>, ScoreError> {
    build_checkers(input, registry::checker)
}

/// Checks that every instruction has its kwargs object, then builds each instruction's checker
/// with `build` (a benchmark's registry), naming the prompt and the list entry that fails.
pub fn build_checkers<E: std::fmt::Display>(
    input: &InputExample,
    mut build: impl FnMut(&str, &Map<String, Value>) -> Result<Box<dyn Checker>, E>,
) -> Result<Vec<Box<dyn Checker>>, ScoreError<E>> {
    if input.kwargs.len() != input.instruction_id_list.len() {
        return Err(ScoreError::KwargsCount {
            key: input.key,
            instructions: input.instruction_id_list.len(),
            kwargs: input.kwargs.len(),
        });
    }
    input
        .instruction_id_list
        .iter()
        .zip(&input.kwargs)
        .enumerate()
        .map(|(index, (id, kwargs))| {
            build(id, kwargs).map_err(|error| ScoreError::Instruction {
                key: input.key,
                index,
                instruction: id.clone(),
                error,
            })
        })
        .collect()
}

/// Scores one prompt's instructions against its response.
pub fn score_prompt(input: &InputExample, response: &str) -> Result<PromptResult, ScoreError> {
    Ok(score_checkers(input, response, &checkers(input)?))
}

/// The strict and loose verdicts of a prompt's built checkers (IFBench
/// builds its own and scores them the same way).
pub fn score_checkers(
    input: &InputExample,
    response: &str,
    checkers: &[Box<dyn Checker>],
) -> PromptResult {
    let variants = loose_variants(response);
    let mut result = PromptResult {
        key: input.key,
        instruction_id_list: input.instruction_id_list.clone(),
        prompt: input.prompt.clone(),
        response: response.to_owned(),
        strict: Vec::new(),
        loose: Vec::new(),
    };
    for checker in checkers {
        // The checkers are deterministic, so the strict verdict is also the
        // loose verdict of the first variant.
        let strict = follows(checker.as_ref(), response);
        result.strict.push(strict);
        result
            .loose
            .push(strict || variants[1..].iter().any(|v| follows(checker.as_ref(), v)));
    }
    result
}

/// The verdicts for every prompt that has a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// In input order.
    pub results: Vec<PromptResult>,
    /// Keys of prompts without a response.
    pub unanswered: Vec<i64>,
    pub unmatched: Vec<UnmatchedResponse>,
}

/// Pairs responses with prompts by prompt text and scores every pair.
pub fn evaluate(
    inputs: &[InputExample],
    responses: &[ResponseExample],
) -> Result<Evaluation, ScoreError> {
    evaluate_with(inputs, responses, score_prompt)
}

/// [`evaluate`] with another benchmark's scoring of one prompt (IFBench).
pub fn evaluate_with<E>(
    inputs: &[InputExample],
    responses: &[ResponseExample],
    mut score: impl FnMut(&InputExample, &str) -> Result<PromptResult, E>,
) -> Result<Evaluation, E> {
    let matching = match_responses(inputs, responses);
    let results = matching
        .pairs
        .iter()
        .map(|(input, response)| score(input, response))
        .collect::<Result<_, _>>()?;
    Ok(Evaluation {
        results,
        unanswered: matching.unanswered,
        unmatched: matching.unmatched,
    })
}
