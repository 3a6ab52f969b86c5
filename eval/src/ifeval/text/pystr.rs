//! The few CPython `str` methods the reference checkers call, with their exact
//! character classes. Rust's `trim`/`is_whitespace` use Unicode White_Space,
//! which lacks U+001C..U+001F; Python's `isspace` includes them, and a response
//! that differs only there must still get the reference verdict.

/// `str.isspace()` for one character (bidi class WS/B/S or category Zs).
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{1f}'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.rstrip()`.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// `str.split()` without arguments.
pub fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|piece| !piece.is_empty())
}

/// `str.lower()`: full case mapping (one character can become two, as
/// `"İ".lower() == "i̇"`), like Rust's `to_lowercase`.
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Titlecase letters (category Lt): Python's `isupper`/`islower` reject any
/// string containing one. The set has been stable since Unicode 3.
fn is_titlecase(c: char) -> bool {
    matches!(
        c,
        '\u{1c5}'
            | '\u{1c8}'
            | '\u{1cb}'
            | '\u{1f2}'
            | '\u{1f88}'..='\u{1f8f}'
            | '\u{1f98}'..='\u{1f9f}'
            | '\u{1fa8}'..='\u{1faf}'
            | '\u{1fbc}'
            | '\u{1fcc}'
            | '\u{1ffc}'
    )
}

/// `str.isupper()`: at least one cased character and none lowercase or titlecase.
pub fn is_upper(s: &str) -> bool {
    has_only_case(s, char::is_uppercase, char::is_lowercase)
}

/// `str.islower()`: at least one cased character and none uppercase or titlecase.
pub fn is_lower(s: &str) -> bool {
    has_only_case(s, char::is_lowercase, char::is_uppercase)
}

fn has_only_case(s: &str, wanted: fn(char) -> bool, unwanted: fn(char) -> bool) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if unwanted(c) || is_titlecase(c) {
            return false;
        }
        cased |= wanted(c);
    }
    cased
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_uses_python_whitespace() {
        assert_eq!(strip("\u{1c} a \u{3000}"), "a");
        assert_eq!(rstrip("a\u{1f}\n"), "a");
        assert_eq!(split(" a\u{1d}b  c ").collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[test]
    fn case_predicates_follow_python() {
        assert!(is_upper("HELLO 123!"));
        assert!(!is_upper("123"));
        assert!(!is_upper("HELLo"));
        assert!(!is_upper("ǅ"));
        assert!(is_lower("hello, world 😀"));
        assert!(!is_lower("!!! ???"));
        assert_eq!(lower("İ"), "i\u{307}");
    }
}
