//! `count:*`: word, keyword, number, name, pronoun and punctuation counts.

use std::collections::HashSet;

use super::{Checker, FromKwargs, non_negative};
use crate::ifbench::text::strings::{is_digit, remove_punctuation, strip_punctuation};
use crate::ifeval::checkers::no_kwargs;
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::pyre::{Flags, py_regex};
use crate::ifeval::text::{count_words, pystr};

/// `conjunctions`: at least `small_n` distinct words that are coordinating
/// conjunctions once stripped; distinct as written, so `and` and `and,` are two.
pub struct Conjunctions {
    min: f64,
}

impl FromKwargs for Conjunctions {
    const KWARGS: &'static [&'static str] = &["small_n"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            min: non_negative(kwargs, "small_n")?,
        })
    }
}

const CONJUNCTIONS: [&str; 7] = ["and", "but", "for", "nor", "or", "so", "yet"];

impl Checker for Conjunctions {
    fn check(&self, response: &str) -> bool {
        let found: HashSet<&str> = pystr::split(response)
            .filter(|w| CONJUNCTIONS.contains(&pystr::lower(strip_punctuation(w)).as_str()))
            .collect();
        found.len() as f64 >= self.min
    }
}

/// `keywords_multiple`: keywords 1 to 5 occur 1, 2, 3, 5 and 7 times
/// (case-insensitive substring counts).
pub struct KeywordsMultiple {
    keywords: [String; 5],
}

impl FromKwargs for KeywordsMultiple {
    const KWARGS: &'static [&'static str] =
        &["keyword1", "keyword2", "keyword3", "keyword4", "keyword5"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        let mut keywords: [String; 5] = Default::default();
        for (keyword, name) in keywords.iter_mut().zip(Self::KWARGS) {
            *keyword = pystr::lower(pystr::strip(kwargs.string(name)?));
        }
        Ok(Self { keywords })
    }
}

impl Checker for KeywordsMultiple {
    fn check(&self, response: &str) -> bool {
        let response = pystr::lower(response);
        // `str.count`: non-overlapping, and `len + 1` for an empty keyword, as here.
        self.keywords
            .iter()
            .zip([1, 2, 3, 5, 7])
            .all(|(keyword, n)| response.matches(keyword.as_str()).count() == n)
    }
}

/// `numbers`: exactly `N` digit runs once punctuation is removed (so `3.5` is one).
pub struct Numbers {
    n: f64,
}

impl FromKwargs for Numbers {
    const KWARGS: &'static [&'static str] = &["N"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            n: non_negative(kwargs, "N")?,
        })
    }
}

impl Checker for Numbers {
    fn check(&self, response: &str) -> bool {
        let text = remove_punctuation(response);
        py_regex!(r"\d+", Flags::NONE).count(&text) as f64 == self.n
    }
}

/// `person_names`: at least `N` names of a fixed list appear as substrings.
pub struct PersonNames {
    min: f64,
}

impl FromKwargs for PersonNames {
    const KWARGS: &'static [&'static str] = &["N"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            min: non_negative(kwargs, "N")?,
        })
    }
}

const PERSON_NAMES: [&str; 50] = [
    "Emma",
    "Liam",
    "Sophia",
    "Jackson",
    "Olivia",
    "Noah",
    "Ava",
    "Lucas",
    "Isabella",
    "Mason",
    "Mia",
    "Ethan",
    "Charlotte",
    "Alexander",
    "Amelia",
    "Benjamin",
    "Harper",
    "Leo",
    "Zoe",
    "Daniel",
    "Chloe",
    "Samuel",
    "Lily",
    "Matthew",
    "Grace",
    "Owen",
    "Abigail",
    "Gabriel",
    "Ella",
    "Jacob",
    "Scarlett",
    "Nathan",
    "Victoria",
    "Elijah",
    "Layla",
    "Nicholas",
    "Audrey",
    "David",
    "Hannah",
    "Christopher",
    "Penelope",
    "Thomas",
    "Nora",
    "Andrew",
    "Aria",
    "Joseph",
    "Claire",
    "Ryan",
    "Stella",
    "Jonathan",
];

impl Checker for PersonNames {
    fn check(&self, response: &str) -> bool {
        let found = PERSON_NAMES
            .iter()
            .filter(|name| response.contains(*name))
            .count();
        found as f64 >= self.min
    }
}

/// `pronouns`: at least `N` personal pronouns among the words, after `/`
/// becomes a space ("she/her") and punctuation is removed.
pub struct Pronouns {
    min: f64,
}

impl FromKwargs for Pronouns {
    const KWARGS: &'static [&'static str] = &["N"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            min: non_negative(kwargs, "N")?,
        })
    }
}

const PRONOUNS: [&str; 31] = [
    "i",
    "me",
    "my",
    "mine",
    "myself",
    "we",
    "us",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
];

impl Checker for Pronouns {
    fn check(&self, response: &str) -> bool {
        let text = remove_punctuation(&pystr::lower(&response.replace('/', " ")));
        let count = pystr::split(&text).filter(|w| PRONOUNS.contains(w)).count();
        count as f64 >= self.min
    }
}

/// `punctuation`: an interrobang (`?!`, `!?` or `‽`) and, apart from the first
/// `?!` (else `!?`) pair, each of `. , ! ? ; :`.
pub struct Punctuation;

/// `unique_word_count`: at least `N` distinct lowercased words, stripped of
/// punctuation (a word of punctuation alone counts as the empty word).
pub struct UniqueWordCount {
    min: f64,
}

/// `word_count_range`: between `min_words` and `max_words` `\w+` words.
pub struct WordCountRange {
    min: f64,
    max: f64,
}

no_kwargs!(Punctuation);

impl Checker for Punctuation {
    fn check(&self, response: &str) -> bool {
        if !(response.contains("!?") || response.contains("?!") || response.contains('‽')) {
            return false;
        }
        let rest = match response.replacen("?!", "", 1) {
            r if r.len() != response.len() => r,
            _ => response.replacen("!?", "", 1),
        };
        ['.', ',', '!', '?', ';', ':']
            .iter()
            .all(|&mark| rest.contains(mark))
    }
}

impl FromKwargs for UniqueWordCount {
    const KWARGS: &'static [&'static str] = &["N"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            min: non_negative(kwargs, "N")?,
        })
    }
}

impl Checker for UniqueWordCount {
    fn check(&self, response: &str) -> bool {
        let lower = pystr::lower(response);
        let words: HashSet<&str> = pystr::split(&lower).map(strip_punctuation).collect();
        words.len() as f64 >= self.min
    }
}

impl FromKwargs for WordCountRange {
    const KWARGS: &'static [&'static str] = &["min_words", "max_words"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            min: non_negative(kwargs, "min_words")?,
            max: non_negative(kwargs, "max_words")?,
        })
    }
}

impl Checker for WordCountRange {
    fn check(&self, response: &str) -> bool {
        let n = count_words(response) as f64;
        self.min <= n && n <= self.max
    }
}

/// `words_japanese`: every `N`-th whitespace word (stripped of punctuation,
/// unless empty or all digits) has a kana or CJK ideograph.
///
/// Crash: `N` = 0 makes the reference's `(i + 1) % N` raise
/// `ZeroDivisionError` on the first word, so nothing follows it.
pub struct WordsJapanese {
    n: f64,
}

impl FromKwargs for WordsJapanese {
    const KWARGS: &'static [&'static str] = &["N"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            n: non_negative(kwargs, "N")?,
        })
    }
}

/// `[\u3040-\u30ff\u4e00-\u9fff]`: hiragana, katakana and the CJK block.
fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}')
}

impl Checker for WordsJapanese {
    fn check(&self, response: &str) -> bool {
        if self.n == 0.0 {
            return false;
        }
        pystr::split(response).enumerate().all(|(i, word)| {
            let word = strip_punctuation(word);
            // Python's float `%` equals Rust's for positive operands.
            let nth = (i + 1) as f64 % self.n == 0.0;
            !nth || word.is_empty() || is_digit(word) || word.chars().any(is_japanese)
        })
    }
}
