//! `ratio:*`: trigram overlap, stop words and the mix of sentence types.

use std::collections::HashSet;
use std::sync::Arc;

use super::{Checker, Context, FromContext, FromKwargs, non_negative, required};
use crate::ifbench::text::nltk::Nltk;
use crate::ifbench::text::sentences::split_into_sentences;
use crate::ifeval::checkers::no_kwargs;
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::{pystr, words};

/// `overlap`: the share of the response's character trigrams that are also
/// in `reference_text` is within 2 points of `percentage`.
///
/// Crash: a response under 3 characters has no trigram, and the reference
/// divides by zero.
pub struct Overlap {
    reference: HashSet<[char; 3]>,
    percentage: f64,
}

/// `set(nltk.ngrams(text, 3))` of a string: its character trigrams.
fn trigrams(text: &str) -> HashSet<[char; 3]> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

impl FromKwargs for Overlap {
    const KWARGS: &'static [&'static str] = &["reference_text", "percentage"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            reference: trigrams(required(kwargs.string("reference_text"))?),
            percentage: non_negative(kwargs, "percentage")?,
        })
    }
}

impl Checker for Overlap {
    fn check(&self, response: &str) -> bool {
        let own = trigrams(response);
        if own.is_empty() {
            return false;
        }
        let overlap = own.intersection(&self.reference).count() as f64 / own.len() as f64;
        let percent = overlap * 100.0;
        self.percentage - 2.0 <= percent && percent <= self.percentage + 2.0
    }
}

/// Sentences of [`split_into_sentences`] ending with `.`, `?` and `!`.
fn sentence_types(response: &str) -> [usize; 3] {
    let mut counts = [0; 3];
    for sentence in split_into_sentences(response) {
        for (count, end) in counts.iter_mut().zip(['.', '?', '!']) {
            *count += usize::from(sentence.ends_with(end));
        }
    }
    counts
}

/// `sentence_balance`: as many statements as questions as exclamations.
pub struct SentenceBalance;

/// `sentence_type`: twice as many statements as questions.
pub struct SentenceType;

/// `sentence_words`: three sentences of equal length in characters (the
/// "all different words" part of the instruction is not checked).
pub struct SentenceWords;

no_kwargs!(SentenceBalance, SentenceType, SentenceWords);

impl Checker for SentenceBalance {
    fn check(&self, response: &str) -> bool {
        let [statements, questions, exclamations] = sentence_types(response);
        statements == questions && questions == exclamations
    }
}

impl Checker for SentenceType {
    fn check(&self, response: &str) -> bool {
        let [statements, questions, _] = sentence_types(response);
        statements == 2 * questions
    }
}

impl Checker for SentenceWords {
    fn check(&self, response: &str) -> bool {
        let sentences = split_into_sentences(response);
        let len = |s: &String| pystr::strip(s).chars().count();
        sentences.len() == 3 && sentences.iter().all(|s| len(s) == len(&sentences[0]))
    }
}

/// `stop_words`: stop words are at most `percentage` percent of the `\w+` words.
///
/// Crash: a response without a `\w` word makes the reference divide by zero.
pub struct StopWords {
    nltk: Arc<Nltk>,
    percentage: f64,
}

impl FromContext for StopWords {
    const KWARGS: &'static [&'static str] = &["percentage"];

    fn from_context(kwargs: &Kwargs<'_>, context: &mut Context<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            nltk: Arc::clone(context.nltk),
            percentage: non_negative(kwargs, "percentage")?,
        })
    }
}

impl Checker for StopWords {
    fn check(&self, response: &str) -> bool {
        let (mut total, mut stop) = (0usize, 0usize);
        for word in words(response) {
            total += 1;
            stop += usize::from(self.nltk.is_stopword(&pystr::lower(word)));
        }
        // Python's `(stop / total) * 100`, in the same order.
        total > 0 && (stop as f64 / total as f64) * 100.0 <= self.percentage
    }
}
