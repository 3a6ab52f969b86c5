//! `nltk.word_tokenize` (nltk 3.10): Punkt sentences, then the
//! `NLTKWordTokenizer` rewrite rules on each, then a whitespace split.
//!
//! Only `change_case:capital_word_frequency` uses it, counting tokens for
//! which `str.isupper()` holds, so the exact split matters ("DON'T" gives
//! "DO" and "N'T"; "HELLO,WORLD" gives two words).
//!
//! nltk compiles these rules with the `regex` module (semantics of Rust's
//! `regex` for `\w`, `\s`, `\b`), except the contraction rules, which use
//! stdlib `re` and so go through [`pyre`]. One rule uses a possessive
//! `[...]*+` before `\s*$`; a greedy star gives the same matches there because
//! only the maximal run can be followed by `\s*$`.

use std::sync::OnceLock;

use fancy_regex::Regex;

use super::pyre::{self, Flags, PyRegex};
use super::{punkt, pystr};

/// A rewrite rule: pattern and replacement (`${n}` groups).
type Rule = (Regex, &'static str);

/// Python's `$` without MULTILINE: at the end or before a final newline.
const END: &str = r"(?=\n?\z)";

fn rule(pattern: &str, replacement: &'static str) -> Rule {
    let pattern = pattern.replace("$END", END);
    (
        Regex::new(&pattern).expect("valid tokenizer pattern"),
        replacement,
    )
}

struct Rules {
    starting_quotes: Vec<Rule>,
    punctuation: Vec<Rule>,
    /// Parentheses and brackets, then double dashes.
    brackets: Vec<Rule>,
    ending_quotes: Vec<Rule>,
    contractions: Vec<PyRegex>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules {
        starting_quotes: vec![
            rule("([«“‘„]|[`]+)", " ${1} "),
            rule(r#"^""#, "``"),
            rule("(``)", " ${1} "),
            rule(r#"([ (\[{<])("|'{2})"#, "${1} `` "),
            rule(r"(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)", "${1} "),
        ],
        punctuation: vec![
            rule(r#"([^.])(\.)([\])}>"'»”’ ]*)\s*$END"#, "${1} ${2} ${3} "),
            rule(r"([:,])([^\d])", " ${1} ${2}"),
            rule(r"([:,])$END", " ${1} "),
            rule(r"\.{2,}", " ${0} "),
            rule(r"[;@#$%&]", " ${0} "),
            rule(r"[\x{2012}-\x{2015}]", " ${0} "),
            rule(r#"([^.])(\.)([\])}>"']*)\s*$END"#, "${1} ${2}${3} "),
            rule(r"[?!]", " ${0} "),
            rule(r"([^'])' ", "${1} ' "),
            rule(r"[*]", " ${0} "),
        ],
        brackets: vec![rule(r"[\]\[(){}<>]", " ${0} "), rule("--", " -- ")],
        ending_quotes: vec![
            rule("([»”’])", " ${1} "),
            rule("''", " '' "),
            rule(r#"""#, " '' "),
            rule(r"\s+", " "),
            rule(r"([^' ])('[sS]|'[mM]|'[dD]|') ", "${1} ${2} "),
            rule(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "${1} ${2} "),
        ],
        contractions: [
            r"\b(can)(not)\b",
            r"\b(d)('ye)\b",
            r"\b(gim)(me)\b",
            r"\b(gon)(na)\b",
            r"\b(got)(ta)\b",
            r"\b(lem)(me)\b",
            r"\b(more)('n)\b",
            r"\b(wan)(na)(?=\s)",
            r" ('t)(is)\b",
            r" ('t)(was)\b",
        ]
        .iter()
        .map(|p| PyRegex::new(p, Flags::IGNORECASE).expect("valid contraction pattern"))
        .collect(),
    })
}

fn apply(text: String, rules: &[Rule]) -> String {
    rules.iter().fold(text, |text, (re, replacement)| {
        pyre::replace_all(re, &text, replacement)
    })
}

/// `NLTKWordTokenizer().tokenize(sentence)`.
fn tokenize_sentence(sentence: &str) -> Vec<String> {
    let rules = rules();
    let mut text = apply(sentence.to_owned(), &rules.starting_quotes);
    text = apply(text, &rules.punctuation);
    text = apply(text, &rules.brackets);
    text = apply(format!(" {text} "), &rules.ending_quotes);
    for re in &rules.contractions {
        text = re.replace_all(&text, " ${1} ${2} ");
    }
    pystr::split(&text).map(str::to_owned).collect()
}

/// `nltk.word_tokenize(text)`.
pub fn word_tokenize(text: &str) -> Vec<String> {
    punkt::sentences(text)
        .into_iter()
        .flat_map(tokenize_sentence)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::word_tokenize;

    #[test]
    fn tokenizes_like_nltk() {
        assert_eq!(
            word_tokenize("DON'T stop now."),
            ["DO", "N'T", "stop", "now", "."]
        );
        assert_eq!(
            word_tokenize(
                "Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\nThanks."
            ),
            [
                "Good", "muffins", "cost", "$", "3.88", "in", "New", "York", ".", "Please", "buy",
                "me", "two", "of", "them", ".", "Thanks", "."
            ]
        );
        assert_eq!(
            word_tokenize("**BOLD** claims, I cannot."),
            [
                "*", "*", "BOLD", "*", "*", "claims", ",", "I", "can", "not", "."
            ]
        );
        assert_eq!(
            word_tokenize("\"Hi,\" she said 'tis"),
            ["``", "Hi", ",", "''", "she", "said", "'", "tis"]
        );
    }
}
