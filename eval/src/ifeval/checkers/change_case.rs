//! `change_case:*`: capital word counts and all-upper/all-lower English.

use super::{Checker, FromKwargs, no_kwargs};
use crate::ifeval::kwargs::{Kwargs, KwargsError, Relation};
use crate::ifeval::text::{lang, pystr, word_tokenize::word_tokenize};

/// `capital_word_frequency`: how many `nltk.word_tokenize` tokens are all caps.
pub struct CapitalWordFrequency {
    frequency: i64,
    relation: Relation,
}

impl FromKwargs for CapitalWordFrequency {
    const KWARGS: &'static [&'static str] = &["capital_frequency", "capital_relation"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        // Unlike the other counts, the reference keeps a negative frequency.
        Ok(Self {
            frequency: kwargs.int("capital_frequency")?,
            relation: kwargs.relation("capital_relation")?,
        })
    }
}

impl Checker for CapitalWordFrequency {
    fn check(&self, response: &str) -> bool {
        let capital = word_tokenize(response)
            .iter()
            .filter(|w| pystr::is_upper(w))
            .count();
        self.relation.holds(capital, self.frequency)
    }
}

/// `english_capital`: `isupper()` and detected as English.
pub struct EnglishCapital;

/// `english_lowercase`: `islower()` and detected as English.
pub struct EnglishLowercase;

no_kwargs!(EnglishCapital, EnglishLowercase);

/// The case test first; a failed detection then counts as English.
fn english_with_case(response: &str, case_ok: fn(&str) -> bool) -> bool {
    case_ok(response) && lang::detect(response).is_none_or(|code| code == "en")
}

impl Checker for EnglishCapital {
    fn check(&self, response: &str) -> bool {
        english_with_case(response, pystr::is_upper)
    }
}

impl Checker for EnglishLowercase {
    fn check(&self, response: &str) -> bool {
        english_with_case(response, pystr::is_lower)
    }
}
