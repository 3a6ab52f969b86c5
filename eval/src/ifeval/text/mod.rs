//! Text processing with the exact semantics of the Python libraries the
//! reference calls (CPython `str` and `re`, `json`, NLTK, langdetect).

pub mod lang;
pub mod punkt;
pub mod pyjson;
pub mod pyre;
pub mod pystr;
pub mod word_tokenize;

use std::sync::OnceLock;

use regex::Regex;

/// `instructions_util.count_words`: `nltk.tokenize.RegexpTokenizer(r"\w+")`.
/// nltk 3.10 compiles that with the `regex` module, whose `\w` (letters,
/// marks, decimal digits, connector punctuation) is Rust's `\w`, so "don't"
/// is two words and "नमस्ते" one.
pub fn count_words(text: &str) -> usize {
    words(text).count()
}

/// The tokens of that tokenizer (IFBench's stop-word count reads them).
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    static WORD: OnceLock<Regex> = OnceLock::new();
    WORD.get_or_init(|| Regex::new(r"\w+").expect("valid pattern"))
        .find_iter(text)
        .map(|m| m.as_str())
}

/// `instructions_util.count_sentences`: the number of English Punkt sentences.
pub fn count_sentences(text: &str) -> usize {
    punkt::sentences(text).len()
}
