//! `combination:*`: repeating the prompt, and two answers split by `******`.

use super::{Checker, FromKwargs, no_kwargs};
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::pystr;

/// `repeat_prompt`: the response starts with the prompt, ignoring case and
/// surrounding whitespace.
pub struct RepeatPrompt {
    prompt: String,
}

impl FromKwargs for RepeatPrompt {
    const KWARGS: &'static [&'static str] = &["prompt_to_repeat"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        let prompt = kwargs.non_empty_string("prompt_to_repeat")?;
        Ok(Self {
            prompt: pystr::lower(pystr::strip(prompt)),
        })
    }
}

impl Checker for RepeatPrompt {
    fn check(&self, response: &str) -> bool {
        pystr::lower(pystr::strip(response)).starts_with(&self.prompt)
    }
}

/// `two_responses`: exactly two different non-blank parts around `******`;
/// blank parts are allowed only at either end.
pub struct TwoResponses;

no_kwargs!(TwoResponses);

impl Checker for TwoResponses {
    fn check(&self, response: &str) -> bool {
        let parts: Vec<&str> = response.split("******").collect();
        let last = parts.len() - 1;
        let mut answers = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if !pystr::strip(part).is_empty() {
                answers.push(pystr::strip(part));
            } else if i != 0 && i != last {
                return false;
            }
        }
        answers.len() == 2 && answers[0] != answers[1]
    }
}
