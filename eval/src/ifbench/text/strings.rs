//! Python `str`, `string`, `unicodedata` and list-indexing behaviour that the
//! IFBench checkers use and [`crate::ifeval::text::pystr`] does not have.
//! Lengths and indices are in code points, as in Python.

use unicode_normalization::UnicodeNormalization;

use super::tables::{DECIMAL_ZEROS, DIGIT, EMOJI};

/// A member of `string.punctuation` (the 32 ASCII punctuation characters).
pub fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// The `''.join(string.punctuation) + ' '` set that most checkers strip.
fn is_punctuation_or_space(c: char) -> bool {
    is_punctuation(c) || c == ' '
}

/// `s.strip(string.punctuation + ' ')`.
pub fn strip_punctuation(s: &str) -> &str {
    s.trim_matches(is_punctuation_or_space)
}

/// `s.lstrip(string.punctuation + ' ')`.
pub fn lstrip_punctuation(s: &str) -> &str {
    s.trim_start_matches(is_punctuation_or_space)
}

/// `s.rstrip(string.punctuation + ' ')`.
pub fn rstrip_punctuation(s: &str) -> &str {
    s.trim_end_matches(is_punctuation_or_space)
}

/// `s.translate(str.maketrans('', '', string.punctuation))`.
pub fn remove_punctuation(s: &str) -> String {
    s.chars().filter(|&c| !is_punctuation(c)).collect()
}

fn in_ranges(c: char, ranges: &[(char, char)]) -> bool {
    let i = ranges.partition_point(|&(_, hi)| hi < c);
    ranges.get(i).is_some_and(|&(lo, _)| lo <= c)
}

/// `c.isdigit()`: decimal digits plus superscripts, circled digits and the like.
pub fn is_digit_char(c: char) -> bool {
    in_ranges(c, &DIGIT)
}

/// `s.isdigit()`: non-empty and every character a digit.
pub fn is_digit(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_digit_char)
}

/// `unicodedata.decimal(c)`, the value of a decimal digit of any script.
fn decimal_value(c: char) -> Option<u32> {
    let zero = DECIMAL_ZEROS[..DECIMAL_ZEROS.partition_point(|&z| z <= c)].last()?;
    let value = c as u32 - *zero as u32;
    (value < 10).then_some(value)
}

/// A decimal digit of any script (category Nd), which `re`'s `\d` matches.
pub fn is_decimal(c: char) -> bool {
    decimal_value(c).is_some()
}

/// `int(s)` for a string of decimal digits (of any script, as `re`'s `\d`
/// matches them); `None` where Python raises.
pub fn decimal_int(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.chars().try_fold(0u64, |n, c| {
        n.checked_mul(10)?.checked_add(u64::from(decimal_value(c)?))
    })
}

/// `unicodedata.normalize('NFKD', s).encode('ASCII', 'ignore').decode('ASCII')`.
/// unicode-normalization 0.1.21 has Unicode 14.0, the version of Python 3.11.
pub fn nfkd_ascii(s: &str) -> String {
    s.nfkd().filter(char::is_ascii).collect()
}

/// `emoji.is_emoji(c)` for one character.
pub fn is_emoji(c: char) -> bool {
    in_ranges(c, &EMOJI)
}

/// `items[i]` with Python's negative indices; `None` for an `IndexError`.
pub fn py_index<T>(items: &[T], i: i64) -> Option<&T> {
    let len = i64::try_from(items.len()).ok()?;
    let i = if i < 0 { i + len } else { i };
    usize::try_from(i).ok().and_then(|i| items.get(i))
}

/// `items[start:end]` with Python's slice rules (negative indices count from
/// the end, out-of-range ones are clamped).
pub fn py_slice<T>(items: &[T], start: i64, end: i64) -> &[T] {
    let len = items.len() as i64;
    let clamp = |i: i64| (if i < 0 { i + len } else { i }).clamp(0, len) as usize;
    let (start, end) = (clamp(start), clamp(end));
    if start < end { &items[start..end] } else { &[] }
}

/// `s[-n:]`: the last `n` characters.
pub fn last_chars(s: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    s.char_indices()
        .rev()
        .nth(n - 1)
        .map_or(s, |(i, _)| &s[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_is_ascii_only() {
        assert_eq!(strip_punctuation(" ..hi!\u{a0}"), "hi!\u{a0}");
        assert_eq!(lstrip_punctuation("\"(a)"), "a)");
        assert_eq!(rstrip_punctuation("a) ."), "a");
        assert_eq!(remove_punctuation("it's “ok”, 3.5%"), "its “ok” 35");
    }

    #[test]
    fn digits_follow_python() {
        assert!(is_digit("²12") && is_digit("١٢") && !is_digit("½") && !is_digit(""));
        assert_eq!(decimal_int("١٨٠٥"), Some(1805));
        assert_eq!(decimal_int("1²"), None);
        assert_eq!(decimal_int("𝟗"), Some(9));
    }

    #[test]
    fn normalization_and_emoji() {
        assert_eq!(nfkd_ascii("São Tomé ﬁ ①"), "Sao Tome fi 1");
        assert!(is_emoji('😀') && is_emoji('©') && !is_emoji('a') && !is_emoji('\u{fe0f}'));
    }

    #[test]
    fn python_indexing() {
        let v = [1, 2, 3];
        assert_eq!(py_index(&v, -1), Some(&3));
        assert_eq!(py_index(&v, 3), None);
        assert_eq!(py_index(&v, -4), None);
        assert_eq!(py_slice(&v, 0, 7), &v);
        assert_eq!(py_slice(&v, -2, 3), &v[1..]);
        assert!(py_slice(&v, 2, 1).is_empty());
        assert_eq!(last_chars("héllo", 3), "llo");
        assert_eq!(last_chars("hé", 3), "hé");
        assert_eq!(last_chars("abc", 0), "");
    }
}
