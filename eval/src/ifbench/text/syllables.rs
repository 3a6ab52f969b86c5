//! `syllapy.count(word)` (syllapy 0.8.0): a list of known words, then for
//! hyphenated words the sum of the parts, else a vowel-group rule.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::strings::{is_decimal, is_punctuation};
use crate::ifeval::text::pystr;

/// Generated from syllapy's `data.csv`; see the header of the file.
const WORDS: &str = include_str!("data/syllapy_words.tsv");

fn known_words() -> &'static HashMap<&'static str, usize> {
    static WORDS_MAP: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    WORDS_MAP.get_or_init(|| {
        WORDS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('\t'))
            .map(|(word, n)| (word, n.parse().expect("syllable count")))
            .collect()
    })
}

const VOWELS: &str = "aeiouy";

/// `syllapy.count(word)`.
pub fn count(word: &str) -> usize {
    let word = pystr::lower(pystr::strip(word));
    let word = word.trim_matches(is_punctuation);
    // Words with a digit (`\d`, any script) count as 0, like empty ones.
    if word.is_empty() || word.chars().any(is_decimal) {
        return 0;
    }
    if let Some(&n) = known_words().get(word) {
        return n;
    }
    // `re.match("([^-]+)-(.+)", word)`: `.` stops at a newline.
    if let Some((first, rest)) = word.split_once('-') {
        let second = rest.split('\n').next().unwrap_or("");
        if !first.is_empty() && !second.is_empty() {
            let (a, b) = (count(first), count(second));
            return if a == 0 || b == 0 { 0 } else { a + b };
        }
    }
    vowel_rule(word)
}

/// `syllapy._syllables`: vowel groups, less a final `e`, plus a final
/// consonant-`le`; at least one.
fn vowel_rule(word: &str) -> usize {
    let chars: Vec<char> = word.chars().collect();
    let vowel = |c: char| VOWELS.contains(c);
    let mut n = usize::from(vowel(chars[0]));
    n += chars
        .windows(2)
        .filter(|w| vowel(w[1]) && !vowel(w[0]))
        .count();
    let mut n = n as i64;
    if word.ends_with('e') {
        n -= 1;
    }
    if word.ends_with("le") && chars.len() > 2 && !vowel(chars[chars.len() - 3]) {
        n += 1;
    }
    if n == 0 { 1 } else { n as usize }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_like_syllapy() {
        for (word, n) in [
            ("hello", 2),
            ("Table.", 2),
            ("self-care", 2),
            ("a-", 1),
            ("r2d2", 0),
            ("!!!", 0),
            ("rhythm", 1),
            ("the", 1),
            ("bubble", 2),
            ("cake", 1),
            ("queue", 1),
        ] {
            assert_eq!(count(word), n, "{word}");
        }
    }
}
