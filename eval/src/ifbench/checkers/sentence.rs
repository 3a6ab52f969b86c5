//! `sentence:*`: per-sentence patterns, over [`split_into_sentences`].

use super::{Checker, FromKwargs, non_empty, non_negative};
use crate::ifbench::text::sentences::split_into_sentences;
use crate::ifbench::text::strings::{lstrip_punctuation, py_index, remove_punctuation};
use crate::ifeval::checkers::no_kwargs;
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::pystr;

/// `alliteration_increment`: each sentence has a higher alliteration score
/// than the one before (2 for a pair of words with the same first character,
/// 1 more for each word extending the run).
pub struct AlliterationIncrement;

no_kwargs!(AlliterationIncrement);

fn alliteration(sentence: &str) -> i64 {
    let lower = pystr::lower(sentence);
    let words: Vec<&str> = pystr::split(&lower)
        .map(lstrip_punctuation)
        .filter(|w| !w.is_empty())
        .collect();
    let (mut score, mut in_run) = (0, false);
    for pair in words.windows(2) {
        in_run = if pair[0].chars().next() == pair[1].chars().next() {
            score += if in_run { 1 } else { 2 };
            true
        } else {
            false
        };
    }
    score
}

impl Checker for AlliterationIncrement {
    fn check(&self, response: &str) -> bool {
        let mut previous = -1;
        for sentence in split_into_sentences(response) {
            let score = alliteration(&sentence);
            if score <= previous {
                return false;
            }
            previous = score;
        }
        true
    }
}

/// `increment`: each sentence has exactly `small_n` more words (punctuation
/// removed) than the one before.
pub struct Increment {
    step: f64,
}

impl FromKwargs for Increment {
    const KWARGS: &'static [&'static str] = &["small_n"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            step: non_negative(kwargs, "small_n")?,
        })
    }
}

impl Checker for Increment {
    fn check(&self, response: &str) -> bool {
        let counts: Vec<f64> = split_into_sentences(response)
            .iter()
            .map(|s| pystr::split(&remove_punctuation(s)).count() as f64)
            .collect();
        // No sentence at all would be an `IndexError` in the reference.
        !counts.is_empty() && counts.windows(2).all(|w| w[1] == w[0] + self.step)
    }
}

/// `keyword`: sentence `N` contains `word`, ignoring case. A fractional `N`
/// indexes with `int(N - 1)`, and `N` = 0 means the last sentence (index -1).
///
/// Crash: `N` = 0 and no sentence (`IndexError`).
pub struct Keyword {
    word: String,
    n: f64,
}

impl FromKwargs for Keyword {
    const KWARGS: &'static [&'static str] = &["word", "N"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            word: pystr::lower(&non_empty(kwargs, "word")?),
            n: non_negative(kwargs, "N")?,
        })
    }
}

impl Checker for Keyword {
    fn check(&self, response: &str) -> bool {
        let sentences = split_into_sentences(response);
        if (sentences.len() as f64) < self.n {
            return false;
        }
        py_index(&sentences, (self.n - 1.0).trunc() as i64)
            .is_some_and(|s| pystr::lower(s).contains(&self.word))
    }
}
