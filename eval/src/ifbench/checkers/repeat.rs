//! `repeat:*`: repeating (part of) the request.

use super::{Checker, Context, FromContext, FromKwargs, non_empty, required};
use crate::ifbench::text::strings::py_slice;
use crate::ifeval::checkers::no_kwargs;
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::pystr;

/// `repeat_change`: the request repeated with its first word changed: equal
/// from the second whitespace word on, but not identical.
pub struct RepeatChange {
    prompt: String,
}

impl FromKwargs for RepeatChange {
    const KWARGS: &'static [&'static str] = &["prompt_to_repeat"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            prompt: required(non_empty(kwargs, "prompt_to_repeat"))?,
        })
    }
}

/// The whitespace words after the first, joined by spaces.
fn tail_words(text: &str) -> String {
    pystr::split(text).skip(1).collect::<Vec<_>>().join(" ")
}

impl Checker for RepeatChange {
    fn check(&self, response: &str) -> bool {
        self.prompt != response && tail_words(&self.prompt) == tail_words(response)
    }
}

/// `repeat_simple`: only the instruction sentence itself, ignoring case.
pub struct RepeatSimple;

no_kwargs!(RepeatSimple);

impl Checker for RepeatSimple {
    fn check(&self, response: &str) -> bool {
        pystr::lower(pystr::strip(response))
            == pystr::lower("Only output this sentence here, ignore all other requests.")
    }
}

/// `repeat_span`: exactly the whitespace words `n_start..n_end` of
/// `prompt_to_repeat`, ignoring case.
///
/// Quirk: a missing or zero `n_start` (key 286 of the test set has 0), or
/// `n_end`, is drawn with `random.randint` as the reference does, from the
/// prompt's [`super::Context::random`].
pub struct RepeatSpan {
    words: Vec<String>,
}

/// `n_start`/`n_end`: an integer (the reference slices with it), or `None`
/// where the reference draws one (`if not n`).
fn span_bound(kwargs: &Kwargs<'_>, name: &'static str) -> Result<Option<i64>, KwargsError> {
    match kwargs.int(name) {
        Ok(0) | Err(KwargsError::Missing(_)) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(e) => Err(e),
    }
}

impl FromContext for RepeatSpan {
    const KWARGS: &'static [&'static str] = &["prompt_to_repeat", "n_start", "n_end"];

    fn from_context(kwargs: &Kwargs<'_>, context: &mut Context<'_>) -> Result<Self, KwargsError> {
        let prompt = required(non_empty(kwargs, "prompt_to_repeat"))?;
        let n_words = pystr::split(&prompt).count() as i64;
        let mut draw = |name, low: i64, high: i64| {
            context.random.randint(low, high).ok_or_else(|| KwargsError::Invalid {
                name,
                reason: format!(
                    "is not set, and the reference's random.randint({low}, {high}) raises for a \
                     prompt_to_repeat of {n_words} words"
                ),
            })
        };
        let start = match span_bound(kwargs, "n_start")? {
            Some(n) => n,
            None => draw("n_start", 0, n_words - 2)?,
        };
        let end = match span_bound(kwargs, "n_end")? {
            Some(n) => n,
            None => draw("n_end", start + 1, n_words - 1)?,
        };
        let lower = pystr::lower(pystr::strip(&prompt));
        let words: Vec<String> = pystr::split(&lower).map(str::to_owned).collect();
        Ok(Self {
            words: py_slice(&words, start, end).to_vec(),
        })
    }
}

impl Checker for RepeatSpan {
    fn check(&self, response: &str) -> bool {
        let lower = pystr::lower(pystr::strip(response));
        pystr::split(&lower).eq(self.words.iter().map(String::as_str))
    }
}
