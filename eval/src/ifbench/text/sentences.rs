//! `instructions_util.split_into_sentences`: the regex sentence splitter that
//! IFBench inherited from IFEval (not NLTK's Punkt). It marks periods that do
//! not end a sentence as `<prd>` and sentence ends as `<stop>`, then splits.

use crate::ifeval::text::pyre::{Flags, py_regex};
use crate::ifeval::text::pystr;

const STARTERS: &str = r"(Mr|Mrs|Ms|Dr|Prof|Capt|Cpt|Lt|He\s|She\s|It\s|They\s|Their\s|Our\s|We\s|But\s|However\s|That\s|This\s|Wherever)";

/// `re.sub(pattern, replacement, text)` for one fixed pattern.
macro_rules! sub {
    ($text:expr, $pattern:expr, $replacement:expr) => {
        py_regex!($pattern, Flags::NONE).replace_all(&$text, $replacement)
    };
}

/// Every run of two or more dots becomes that many `<prd>` and one `<stop>`.
fn mark_multiple_dots(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dots = 0;
    let flush = |out: &mut String, dots: usize| match dots {
        0 => {}
        1 => out.push('.'),
        n => {
            out.push_str(&"<prd>".repeat(n));
            out.push_str("<stop>");
        }
    };
    for c in text.chars() {
        if c == '.' {
            dots += 1;
        } else {
            flush(&mut out, dots);
            dots = 0;
            out.push(c);
        }
    }
    flush(&mut out, dots);
    out
}

/// `split_into_sentences(text)`: stripped sentences; only a final empty one
/// is dropped.
pub fn split_into_sentences(text: &str) -> Vec<String> {
    let mut text = format!(" {text}  ").replace('\n', " ");
    text = sub!(text, "(Mr|St|Mrs|Ms|Dr)[.]", "${1}<prd>");
    text = sub!(text, "[.](com|net|org|io|gov|edu|me)", "<prd>${1}");
    text = sub!(text, "([0-9])[.]([0-9])", "${1}<prd>${2}");
    text = mark_multiple_dots(&text);
    text = text.replace("Ph.D.", "Ph<prd>D<prd>");
    text = sub!(text, r"\s([A-Za-z])[.] ", " ${1}<prd> ");
    text = py_regex!(
        &format!("([A-Z][.][A-Z][.](?:[A-Z][.])?) {STARTERS}"),
        Flags::NONE
    )
    .replace_all(&text, "${1}<stop> ${2}");
    text = sub!(
        text,
        "([A-Za-z])[.]([A-Za-z])[.]([A-Za-z])[.]",
        "${1}<prd>${2}<prd>${3}<prd>"
    );
    text = sub!(text, "([A-Za-z])[.]([A-Za-z])[.]", "${1}<prd>${2}<prd>");
    text = py_regex!(&format!(" (Inc|Ltd|Jr|Sr|Co)[.] {STARTERS}"), Flags::NONE)
        .replace_all(&text, " ${1}<stop> ${2}");
    text = sub!(text, " (Inc|Ltd|Jr|Sr|Co)[.]", " ${1}<prd>");
    text = sub!(text, " ([A-Za-z])[.]", " ${1}<prd>");
    // The reference guards this and "Ph.D." with `in` tests that change nothing.
    text = text
        .replace(".”", "”.")
        .replace(".\"", "\".")
        .replace("!\"", "\"!")
        .replace("?\"", "\"?");
    text = text
        .replace('.', ".<stop>")
        .replace('?', "?<stop>")
        .replace('!', "!<stop>")
        .replace("<prd>", ".");
    let mut sentences: Vec<String> = text
        .split("<stop>")
        .map(|s| pystr::strip(s).to_owned())
        .collect();
    if sentences.last().is_some_and(String::is_empty) {
        sentences.pop();
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::split_into_sentences;

    #[test]
    fn splits_like_the_reference() {
        assert_eq!(
            split_into_sentences("Mr. Smith went to Washington D.C. He liked it... Did he?"),
            [
                "Mr. Smith went to Washington D.C.",
                "He liked it...",
                "Did he?"
            ]
        );
        assert_eq!(
            split_into_sentences("Pi is 3.14! \"Wow.\" Visit x.com now"),
            ["Pi is 3.14!", "\"Wow\".", "Visit x.com now"]
        );
        assert_eq!(split_into_sentences("a. . b"), ["a. .", "b"]);
        assert!(split_into_sentences("").is_empty());
    }
}
