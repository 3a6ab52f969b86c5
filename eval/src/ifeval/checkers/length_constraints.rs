//! `length_constraints:*`: paragraphs, sentences and words.

use super::{Checker, FromKwargs};
use crate::ifeval::kwargs::{Kwargs, KwargsError, Relation};
use crate::ifeval::text::pyre::{Flags, py_regex};
use crate::ifeval::text::{count_sentences, count_words, pystr};

/// `number_paragraphs`: exactly n parts between `***` dividers; a blank part
/// is allowed only at either end (and is not counted).
pub struct NumberParagraphs {
    count: i64,
}

impl FromKwargs for NumberParagraphs {
    const KWARGS: &'static [&'static str] = &["num_paragraphs"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            count: kwargs.count("num_paragraphs")?,
        })
    }
}

impl Checker for NumberParagraphs {
    fn check(&self, response: &str) -> bool {
        let paragraphs = py_regex!(r"\s?\*\*\*\s?", Flags::NONE).split(response);
        let last = paragraphs.len() - 1;
        let mut count = paragraphs.len();
        for (i, paragraph) in paragraphs.iter().enumerate() {
            if pystr::strip(paragraph).is_empty() {
                if i != 0 && i != last {
                    return false;
                }
                count -= 1;
            }
        }
        i64::try_from(count) == Ok(self.count)
    }
}

/// `nth_paragraph_first_word`: exactly n non-blank paragraphs separated by
/// `\n\n`, and paragraph `nth` starts with the word. As in the reference,
/// `nth` indexes all parts, blank ones included, while n counts non-blank ones.
pub struct NthParagraphFirstWord {
    num_paragraphs: i64,
    nth: usize,
    first_word: String,
}

impl FromKwargs for NthParagraphFirstWord {
    const KWARGS: &'static [&'static str] = &["num_paragraphs", "nth_paragraph", "first_word"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        let num_paragraphs = kwargs.count("num_paragraphs")?;
        let nth = kwargs.int("nth_paragraph")?;
        if nth <= 0 || nth > num_paragraphs {
            return Err(KwargsError::Invalid {
                name: "nth_paragraph",
                reason: format!(
                    "{nth} is outside 1..={num_paragraphs} (the reference would draw a random value)"
                ),
            });
        }
        let nth = usize::try_from(nth).map_err(|_| KwargsError::Invalid {
            name: "nth_paragraph",
            reason: format!("{nth} is too large"),
        })?;
        Ok(Self {
            num_paragraphs,
            nth,
            first_word: pystr::lower(kwargs.string("first_word")?),
        })
    }
}

impl Checker for NthParagraphFirstWord {
    fn check(&self, response: &str) -> bool {
        let paragraphs: Vec<&str> = response.split("\n\n").collect();
        let count = paragraphs
            .iter()
            .filter(|p| !pystr::strip(p).is_empty())
            .count();
        if self.nth > count {
            return false;
        }
        let paragraph = pystr::strip(paragraphs[self.nth - 1]);
        let Some(word) = pystr::split(paragraph).next() else {
            return false;
        };
        // The word up to its first punctuation mark, after leading quotes.
        let word = word.trim_start_matches('\'').trim_start_matches('"');
        let first_word: String = word
            .chars()
            .take_while(|c| !matches!(c, '.' | ',' | '?' | '!' | '\'' | '"'))
            .flat_map(char::to_lowercase)
            .collect();
        i64::try_from(count) == Ok(self.num_paragraphs) && first_word == self.first_word
    }
}

/// `number_sentences`: English Punkt sentences, compared with the relation.
pub struct NumberSentences {
    threshold: i64,
    relation: Relation,
}

impl FromKwargs for NumberSentences {
    const KWARGS: &'static [&'static str] = &["num_sentences", "relation"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            threshold: kwargs.count("num_sentences")?,
            relation: kwargs.relation("relation")?,
        })
    }
}

impl Checker for NumberSentences {
    fn check(&self, response: &str) -> bool {
        self.relation
            .holds(count_sentences(response), self.threshold)
    }
}

/// `number_words`: `\w+` runs, compared with the relation.
pub struct NumberWords {
    threshold: i64,
    relation: Relation,
}

impl FromKwargs for NumberWords {
    const KWARGS: &'static [&'static str] = &["num_words", "relation"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            threshold: kwargs.count("num_words")?,
            relation: kwargs.relation("relation")?,
        })
    }
}

impl Checker for NumberWords {
    fn check(&self, response: &str) -> bool {
        self.relation.holds(count_words(response), self.threshold)
    }
}
