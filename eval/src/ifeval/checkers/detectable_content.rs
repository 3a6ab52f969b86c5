//! `detectable_content:*`: placeholders and a postscript.

use super::{Checker, FromKwargs, bad_pattern};
use crate::ifeval::kwargs::{Kwargs, KwargsError, Relation};
use crate::ifeval::text::pyre::{Flags, PyRegex, py_regex};
use crate::ifeval::text::pystr;

/// `number_placeholders`: at least n `[...]` on one line.
pub struct NumberPlaceholders {
    min: i64,
}

impl FromKwargs for NumberPlaceholders {
    const KWARGS: &'static [&'static str] = &["num_placeholders"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            min: kwargs.count("num_placeholders")?,
        })
    }
}

impl Checker for NumberPlaceholders {
    fn check(&self, response: &str) -> bool {
        Relation::AtLeast.holds(py_regex!(r"\[.*?\]", Flags::NONE).count(response), self.min)
    }
}

/// `postscript`: a line of the lowercased response starts (after spaces)
/// with the marker; `P.S.` and `P.P.S` allow a space after each period.
pub struct Postscript {
    pattern: PyRegex,
}

impl FromKwargs for Postscript {
    const KWARGS: &'static [&'static str] = &["postscript_marker"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        let marker = pystr::strip(kwargs.string("postscript_marker")?);
        let pattern = match marker {
            "P.P.S" => r"\s*p\.\s?p\.\s?s.*$".to_owned(),
            "P.S." => r"\s*p\.\s?s\..*$".to_owned(),
            // Any other marker is used as a (lowercased) regular expression.
            other => format!(r"\s*{}.*$", pystr::lower(other)),
        };
        let pattern = PyRegex::new(&pattern, Flags::MULTILINE)
            .map_err(|e| bad_pattern("postscript_marker", e))?;
        Ok(Self { pattern })
    }
}

impl Checker for Postscript {
    fn check(&self, response: &str) -> bool {
        self.pattern.is_match(&pystr::lower(response))
    }
}
