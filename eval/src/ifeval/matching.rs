//! Pairing prompts with responses by prompt text, as the reference does
//! (a dict from prompt to response, so a repeated prompt keeps its last
//! response). Unlike the reference, which raises `KeyError` for a prompt
//! without a response and ignores responses to unknown prompts, both are
//! collected so that callers can report them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::examples::{InputExample, ResponseExample};

/// Prompts paired with their responses, and what could not be paired.
#[derive(Debug, Clone)]
pub struct Matching<'a> {
    pub pairs: Vec<(&'a InputExample, &'a str)>,
    /// Keys of prompts that have no response.
    pub unanswered: Vec<i64>,
    pub unmatched: Vec<UnmatchedResponse>,
}

/// A response whose prompt is not in the input data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedResponse {
    /// 1-based position among the responses.
    pub index: usize,
    /// The start of its prompt.
    pub prompt_start: String,
}

/// Characters of an unmatched prompt kept for the report.
const PROMPT_EXCERPT: usize = 80;

pub fn match_responses<'a>(
    inputs: &'a [InputExample],
    responses: &'a [ResponseExample],
) -> Matching<'a> {
    let by_prompt: HashMap<&str, &str> = responses
        .iter()
        .map(|r| (r.prompt.as_str(), r.response.as_str()))
        .collect();
    let mut matching = Matching {
        pairs: Vec::new(),
        unanswered: Vec::new(),
        unmatched: Vec::new(),
    };
    for input in inputs {
        match by_prompt.get(input.prompt.as_str()) {
            Some(response) => matching.pairs.push((input, response)),
            None => matching.unanswered.push(input.key),
        }
    }
    let prompts: std::collections::HashSet<&str> =
        inputs.iter().map(|i| i.prompt.as_str()).collect();
    for (i, r) in responses.iter().enumerate() {
        if !prompts.contains(r.prompt.as_str()) {
            let prompt_start = r.prompt.chars().take(PROMPT_EXCERPT).collect();
            matching.unmatched.push(UnmatchedResponse {
                index: i + 1,
                prompt_start,
            });
        }
    }
    matching
}
