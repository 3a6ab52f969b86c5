//! `detectable_format:*`: fixed answers, JSON, sections, bullets, highlights
//! and titles.

use super::{Checker, FromKwargs, bad_pattern, no_kwargs};
use crate::ifeval::kwargs::{Kwargs, KwargsError, Relation};
use crate::ifeval::text::pyre::{Flags, PyRegex, py_regex};
use crate::ifeval::text::{pyjson, pystr};

/// `constrained_response`: contains one of the three fixed answers.
pub struct ConstrainedResponse;

/// `json_format`: the response, without Markdown fences, is JSON to Python.
pub struct JsonFormat;

/// `title`: a non-blank `<<title>>` on one line.
pub struct Title;

no_kwargs!(ConstrainedResponse, JsonFormat, Title);

const CONSTRAINED_OPTIONS: [&str; 3] = [
    "My answer is yes.",
    "My answer is no.",
    "My answer is maybe.",
];

impl Checker for ConstrainedResponse {
    fn check(&self, response: &str) -> bool {
        let response = pystr::strip(response);
        CONSTRAINED_OPTIONS
            .iter()
            .any(|option| response.contains(option))
    }
}

impl Checker for JsonFormat {
    fn check(&self, response: &str) -> bool {
        // The reference's chain of `removeprefix` calls, in its order.
        let mut text = pystr::strip(response);
        for fence in ["```json", "```Json", "```JSON", "```"] {
            text = text.strip_prefix(fence).unwrap_or(text);
        }
        text = text.strip_suffix("```").unwrap_or(text);
        pyjson::loads_ok(pystr::strip(text))
    }
}

impl Checker for Title {
    fn check(&self, response: &str) -> bool {
        py_regex!(r"<<[^\n]+>>", Flags::NONE)
            .find_all(response)
            .iter()
            .any(|t| !pystr::strip(t.trim_start_matches('<').trim_end_matches('>')).is_empty())
    }
}

/// `multiple_sections`: at least n splits on `<splitter> <number>`.
pub struct MultipleSections {
    splitter: PyRegex,
    min: i64,
}

impl FromKwargs for MultipleSections {
    const KWARGS: &'static [&'static str] = &["section_spliter", "num_sections"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        let spliter = pystr::strip(kwargs.string("section_spliter")?);
        let splitter = PyRegex::new(&format!(r"\s?{spliter}\s?\d+\s?"), Flags::NONE)
            .map_err(|e| bad_pattern("section_spliter", e))?;
        Ok(Self {
            splitter,
            min: kwargs.count("num_sections")?,
        })
    }
}

impl Checker for MultipleSections {
    fn check(&self, response: &str) -> bool {
        // `len(re.split(...)) - 1`: each match adds a piece plus its groups.
        let sections = self.splitter.count(response) * (1 + self.splitter.groups());
        Relation::AtLeast.holds(sections, self.min)
    }
}

/// `number_bullet_lists`: exactly n lines that start with `*` (not `**`) or `-`.
pub struct NumberBulletLists {
    count: i64,
}

impl FromKwargs for NumberBulletLists {
    const KWARGS: &'static [&'static str] = &["num_bullets"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            count: kwargs.count("num_bullets")?,
        })
    }
}

impl Checker for NumberBulletLists {
    fn check(&self, response: &str) -> bool {
        let star = py_regex!(r"^\s*\*[^\*].*$", Flags::MULTILINE);
        let dash = py_regex!(r"^\s*-.*$", Flags::MULTILINE);
        i64::try_from(star.count(response) + dash.count(response)) == Ok(self.count)
    }
}

/// `number_highlighted_sections`: at least n non-blank `*x*` or `**x**` spans
/// within a line (a `**x**` counts for both patterns).
pub struct NumberHighlightedSections {
    min: i64,
}

impl FromKwargs for NumberHighlightedSections {
    const KWARGS: &'static [&'static str] = &["num_highlights"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            min: kwargs.count("num_highlights")?,
        })
    }
}

impl Checker for NumberHighlightedSections {
    fn check(&self, response: &str) -> bool {
        let single = py_regex!(r"\*[^\n\*]*\*", Flags::NONE);
        let double = py_regex!(r"\*\*[^\n\*]*\*\*", Flags::NONE);
        let singles = single
            .find_all(response)
            .iter()
            .filter(|h| !pystr::strip(h.trim_matches('*')).is_empty())
            .count();
        let doubles = double
            .find_all(response)
            .iter()
            .filter(|h| {
                let inner = h.strip_prefix("**").unwrap_or(h);
                !pystr::strip(inner.strip_suffix("**").unwrap_or(inner)).is_empty()
            })
            .count();
        Relation::AtLeast.holds(singles + doubles, self.min)
    }
}
