//! `startend:*`: the ending phrase and wrapping double quotes.

use super::{Checker, FromKwargs, no_kwargs};
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::pystr;

/// `end_checker`: ends with the phrase, ignoring case, surrounding whitespace
/// and double quotes around the whole response.
pub struct EndChecker {
    phrase: String,
}

impl FromKwargs for EndChecker {
    const KWARGS: &'static [&'static str] = &["end_phrase"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            phrase: pystr::lower(pystr::strip(kwargs.string("end_phrase")?)),
        })
    }
}

impl Checker for EndChecker {
    fn check(&self, response: &str) -> bool {
        pystr::lower(pystr::strip(response).trim_matches('"')).ends_with(&self.phrase)
    }
}

/// `quotation`: after stripping, at least two characters, the first and last `"`.
pub struct Quotation;

no_kwargs!(Quotation);

impl Checker for Quotation {
    fn check(&self, response: &str) -> bool {
        let text = pystr::strip(response);
        text.chars().nth(1).is_some() && text.starts_with('"') && text.ends_with('"')
    }
}
