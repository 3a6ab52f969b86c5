//! `words:*`: letters, syllables, lengths and positions of words.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Checker, Context, FromContext, FromKwargs, non_empty};
use crate::ifbench::text::nltk::Nltk;
use crate::ifbench::text::sentences::split_into_sentences;
use crate::ifbench::text::strings::{
    lstrip_punctuation, py_index, remove_punctuation, rstrip_punctuation, strip_punctuation,
};
use crate::ifbench::text::syllables;
use crate::ifeval::checkers::no_kwargs;
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::pystr;
use crate::ifeval::text::word_tokenize::word_tokenize;

/// `alphabet`: consecutive words start with consecutive letters, z wrapping
/// to a; the first must start with a–z (after lowercasing).
pub struct Alphabet;

/// `consonants`: every whitespace word has two adjacent ASCII consonants.
pub struct Consonants;

/// `last_first`: each sentence starts with the word the previous one ended
/// with, ignoring case and surrounding punctuation.
///
/// Crash: a sentence of punctuation alone (`split()[-1]` raises `IndexError`).
pub struct LastFirst;

/// `no_consecutive`: no two adjacent words (punctuation removed) share their
/// first character.
pub struct NoConsecutive;

/// `odd_even_syllables`: syllable counts (syllapy) alternate between odd and even.
pub struct OddEvenSyllables;

/// `palindrome`: at least 10 palindromic words of 5 or more characters.
pub struct Palindrome;

/// `paragraph_last_first`: every non-blank line starts and ends with the
/// same word (a line of punctuation alone fails).
pub struct ParagraphLastFirst;

/// `prime_lengths`: every word (punctuation removed) has a prime length.
pub struct PrimeLengths;

/// `vowel`: one line, using at most three of a, e, i, o, u.
pub struct Vowel;

no_kwargs!(
    Alphabet,
    Consonants,
    LastFirst,
    NoConsecutive,
    OddEvenSyllables,
    Palindrome,
    ParagraphLastFirst,
    PrimeLengths,
    Vowel,
);

/// Lowercased, punctuation removed, split on whitespace.
fn plain_words(response: &str) -> Vec<String> {
    pystr::split(&remove_punctuation(&pystr::lower(response)))
        .map(str::to_owned)
        .collect()
}

impl Checker for Alphabet {
    fn check(&self, response: &str) -> bool {
        let text = remove_punctuation(response);
        let mut words = pystr::split(strip_punctuation(&text));
        let Some(first) = words.next() else {
            return false;
        };
        let first = pystr::lower(&first.chars().take(1).collect::<String>());
        let mut letter = match first.as_bytes() {
            [c @ b'a'..=b'z'] => *c,
            _ => return false,
        };
        for word in words {
            let word = pystr::lower(strip_punctuation(word));
            let Some(c) = word.chars().next() else {
                continue;
            };
            letter = if letter == b'z' { b'a' } else { letter + 1 };
            if c != char::from(letter) {
                return false;
            }
        }
        true
    }
}

impl Checker for Consonants {
    fn check(&self, response: &str) -> bool {
        let consonant = |c: char| "bcdfghjklmnpqrstvwxyz".contains(c);
        let lower = pystr::lower(response);
        pystr::split(&lower).all(|word| {
            let chars: Vec<char> = word.chars().collect();
            chars.windows(2).any(|w| consonant(w[0]) && consonant(w[1]))
        })
    }
}

/// `keywords_specific_position`: `keyword` is token `m` (by `word_tokenize`)
/// of sentence `n`, both 1-based; negative values count from the end, as the
/// reference's `[n - 1]` indexing does.
pub struct KeywordsSpecificPosition {
    keyword: String,
    n: i64,
    m: i64,
}

/// A position the reference draws at random when it is missing or 0 (`if not n`).
fn position(kwargs: &Kwargs<'_>, name: &'static str) -> Result<i64, KwargsError> {
    match kwargs.int(name)? {
        0 => Err(KwargsError::Invalid {
            name,
            reason: "is 0 (the reference would draw a random value)".into(),
        }),
        n => Ok(n),
    }
}

impl FromKwargs for KeywordsSpecificPosition {
    const KWARGS: &'static [&'static str] = &["keyword", "n", "m"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            keyword: pystr::strip(&non_empty(kwargs, "keyword")?).to_owned(),
            n: position(kwargs, "n")?,
            m: position(kwargs, "m")?,
        })
    }
}

impl Checker for KeywordsSpecificPosition {
    fn check(&self, response: &str) -> bool {
        let sentences = split_into_sentences(response);
        if (sentences.len() as i64) < self.n {
            return false;
        }
        // An index out of range is an `IndexError` in the reference.
        let Some(sentence) = py_index(&sentences, self.n - 1) else {
            return false;
        };
        let tokens = word_tokenize(sentence);
        (tokens.len() as i64) >= self.m
            && py_index(&tokens, self.m - 1).is_some_and(|t| *t == self.keyword)
    }
}

impl Checker for LastFirst {
    fn check(&self, response: &str) -> bool {
        let sentences = split_into_sentences(response);
        sentences.windows(2).all(|pair| {
            let last = pystr::split(rstrip_punctuation(&pair[0])).last();
            let first = pystr::split(lstrip_punctuation(&pair[1])).next();
            match (last, first) {
                (Some(last), Some(first)) => pystr::lower(last) == pystr::lower(first),
                _ => false,
            }
        })
    }
}

impl Checker for NoConsecutive {
    fn check(&self, response: &str) -> bool {
        plain_words(response)
            .windows(2)
            .all(|w| w[0].chars().next() != w[1].chars().next())
    }
}

impl Checker for OddEvenSyllables {
    fn check(&self, response: &str) -> bool {
        let parities: Vec<usize> = plain_words(response)
            .iter()
            .map(|w| syllables::count(w) % 2)
            .collect();
        parities.windows(2).all(|w| w[0] != w[1])
    }
}

impl Checker for Palindrome {
    fn check(&self, response: &str) -> bool {
        let count = plain_words(response)
            .iter()
            .filter(|w| w.chars().count() >= 5 && w.chars().eq(w.chars().rev()))
            .count();
        count >= 10
    }
}

impl Checker for ParagraphLastFirst {
    fn check(&self, response: &str) -> bool {
        response.split('\n').all(|paragraph| {
            let paragraph = pystr::lower(pystr::strip(paragraph));
            if paragraph.is_empty() {
                return true;
            }
            let words: Vec<&str> = pystr::split(strip_punctuation(&paragraph)).collect();
            matches!((words.first(), words.last()), (Some(a), Some(b)) if a == b)
        })
    }
}

const PRIMES: [usize; 25] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
];

impl Checker for PrimeLengths {
    fn check(&self, response: &str) -> bool {
        pystr::split(&remove_punctuation(response)).all(|w| PRIMES.contains(&w.chars().count()))
    }
}

/// `repeats`: no word (lowercased, punctuation removed) more than `small_n` times.
pub struct Repeats {
    max: f64,
}

impl FromKwargs for Repeats {
    const KWARGS: &'static [&'static str] = &["small_n"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            max: super::non_negative(kwargs, "small_n")?,
        })
    }
}

impl Checker for Repeats {
    fn check(&self, response: &str) -> bool {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for word in plain_words(response) {
            *counts.entry(word).or_default() += 1;
        }
        counts.values().all(|&n| n as f64 <= self.max)
    }
}

/// `start_verb`: the first token's POS tag (tagging the whole response)
/// contains `VB`.
pub struct StartVerb {
    nltk: Arc<Nltk>,
}

impl FromContext for StartVerb {
    const KWARGS: &'static [&'static str] = &[];

    fn from_context(_: &Kwargs<'_>, context: &mut Context<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            nltk: Arc::clone(context.nltk),
        })
    }
}

impl Checker for StartVerb {
    fn check(&self, response: &str) -> bool {
        let tokens = word_tokenize(response);
        self.nltk
            .pos_tag(&tokens)
            .first()
            .is_some_and(|tag| tag.contains("VB"))
    }
}

impl Checker for Vowel {
    fn check(&self, response: &str) -> bool {
        let text = pystr::strip(response);
        if text.contains('\n') {
            return false;
        }
        let lower = pystr::lower(text);
        let used = ['a', 'e', 'i', 'o', 'u']
            .iter()
            .filter(|&&v| lower.contains(v))
            .count();
        used <= 3
    }
}

/// `words_position`: tokens 2 and second-to-last (by `word_tokenize`) are
/// both `keyword`.
pub struct WordsPosition {
    keyword: String,
}

impl FromKwargs for WordsPosition {
    const KWARGS: &'static [&'static str] = &["keyword"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            keyword: pystr::strip(kwargs.string("keyword")?).to_owned(),
        })
    }
}

impl Checker for WordsPosition {
    fn check(&self, response: &str) -> bool {
        let tokens = word_tokenize(response);
        tokens.len() >= 2 && tokens[1] == self.keyword && tokens[tokens.len() - 2] == self.keyword
    }
}
