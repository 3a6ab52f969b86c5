//! Python `re` patterns, run on fancy-regex.
//!
//! The checkers build their patterns exactly as the reference does, several of
//! them from kwargs without escaping (a keyword *is* a regex there), so the
//! patterns are translated rather than rewritten. Where stdlib `re` and Rust
//! differ, the translation makes Rust behave like Python:
//! - `\w` is `str.isalnum()` plus `_`, i.e. letters and all numbers but no
//!   combining marks (Rust's `\w` has marks and lacks `²`), and `\b`/`\B`
//!   follow that `\w`;
//! - `\s` is `str.isspace()`, which adds U+001C..U+001F to Unicode White_Space;
//! - a bare `$` (without MULTILINE) also matches before a final `\n`;
//! - under IGNORECASE, `i`, `I`, `ı` and `İ` all match each other: CPython
//!   compares simple lowercase mappings (`İ` → `i`) and adds `ı` as an extra
//!   equivalent of `i`, while Unicode simple case folding leaves both apart;
//! - `{` that does not start a quantifier is a literal, `{,n}` means `{0,n}`,
//!   and `[`, `&`, `~` inside a class are literals (Rust reads class syntax).

use fancy_regex::Regex;

/// Python's `\w`: `str.isalnum()` (categories L* and N*) plus underscore.
const WORD: &str = r"\p{L}\p{N}_";
/// Python's `\s`: `str.isspace()`.
const SPACE: &str = r"\s\x1C-\x1F";
const I_FAMILY: &str = "iIıİ";

/// The `re` flags the checkers use.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    pub ignore_case: bool,
    pub multiline: bool,
}

impl Flags {
    pub const NONE: Flags = Flags {
        ignore_case: false,
        multiline: false,
    };
    pub const IGNORECASE: Flags = Flags {
        ignore_case: true,
        multiline: false,
    };
    pub const MULTILINE: Flags = Flags {
        ignore_case: false,
        multiline: true,
    };
}

/// A compiled Python pattern.
#[derive(Debug)]
pub struct PyRegex {
    re: Regex,
}

/// A pattern that Python would accept but this translation cannot run, or that
/// Python would reject too.
#[derive(Debug, thiserror::Error)]
#[error("cannot compile regular expression {pattern:?}: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

impl PyRegex {
    pub fn new(pattern: &str, flags: Flags) -> Result<Self, PatternError> {
        let translated = translate(pattern, flags);
        Regex::new(&translated)
            .map(|re| PyRegex { re })
            .map_err(|e| PatternError {
                pattern: pattern.to_owned(),
                reason: e.to_string(),
            })
    }

    /// `re.search(...) is not None`. A backtracking-limit failure (only
    /// reachable with a pathological kwarg pattern; Python would just keep
    /// running) counts as no match.
    pub fn is_match(&self, text: &str) -> bool {
        self.re.is_match(text).unwrap_or(false)
    }

    /// `len(re.findall(...))`.
    pub fn count(&self, text: &str) -> usize {
        self.re.find_iter(text).map_while(Result::ok).count()
    }

    /// The number of capturing groups, which `re.split` also returns.
    pub fn groups(&self) -> usize {
        self.re.captures_len() - 1
    }

    /// `re.split(...)` for a pattern without groups: the text between matches.
    pub fn split<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut pieces = Vec::new();
        let mut last = 0;
        for m in self.re.find_iter(text).map_while(Result::ok) {
            pieces.push(&text[last..m.start()]);
            last = m.end();
        }
        pieces.push(&text[last..]);
        pieces
    }

    /// `re.sub(pattern, replacement, text)`, with `${n}` for Python's `\\n`.
    pub fn replace_all(&self, text: &str, replacement: &str) -> String {
        replace_all(&self.re, text, replacement)
    }

    /// The matched substrings, as `re.findall` returns them for a pattern
    /// without groups.
    pub fn find_all<'t>(&self, text: &'t str) -> Vec<&'t str> {
        self.re
            .find_iter(text)
            .map_while(Result::ok)
            .map(|m| m.as_str())
            .collect()
    }
}

/// Replaces every match (`${n}` expands group n). Unlike fancy-regex's own
/// `replace_all`, a backtracking-limit failure ends the replacing instead of
/// panicking.
pub(crate) fn replace_all(re: &Regex, text: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text).map_while(Result::ok) {
        let m = caps.get(0).expect("group 0 is the match");
        out.push_str(&text[last..m.start()]);
        caps.expand(replacement, &mut out);
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

/// A fixed (non-kwarg) Python pattern, compiled once: `py_regex!(r"...", Flags::NONE)`.
macro_rules! py_regex {
    ($pattern:expr, $flags:expr) => {{
        static RE: std::sync::OnceLock<$crate::ifeval::text::pyre::PyRegex> =
            std::sync::OnceLock::new();
        RE.get_or_init(|| {
            $crate::ifeval::text::pyre::PyRegex::new($pattern, $flags).expect("valid fixed pattern")
        })
    }};
}
pub(crate) use py_regex;

/// Rewrites a Python pattern into fancy-regex syntax with Python semantics.
fn translate(pattern: &str, flags: Flags) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    if flags.ignore_case {
        out.push_str("(?i)");
    }
    if flags.multiline {
        out.push_str("(?m)");
    }
    let mut i = 0;
    // Index of the first member of the character class being read, if any.
    let mut class_start: Option<usize> = None;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            out.push_str(&translate_escape(chars[i + 1], class_start.is_some()));
            i += 2;
            continue;
        }
        match class_start {
            Some(first) => {
                match c {
                    ']' if i > first => {
                        class_start = None;
                        out.push(']');
                    }
                    ']' | '[' | '&' | '~' => {
                        out.push('\\');
                        out.push(c);
                    }
                    _ if flags.ignore_case
                        && I_FAMILY.contains(c)
                        && !in_range(&chars, i, first) =>
                    {
                        out.push_str(I_FAMILY)
                    }
                    _ => out.push(c),
                }
                i += 1;
            }
            None => {
                i = translate_outside_class(&chars, i, flags, &mut out, &mut class_start);
            }
        }
    }
    out
}

/// Translates the item at `chars[i]` (not an escape, not inside a class) and
/// returns the index after it.
fn translate_outside_class(
    chars: &[char],
    i: usize,
    flags: Flags,
    out: &mut String,
    class_start: &mut Option<usize>,
) -> usize {
    match chars[i] {
        '[' => {
            out.push('[');
            let mut first = i + 1;
            if chars.get(first) == Some(&'^') {
                out.push('^');
                first += 1;
            }
            *class_start = Some(first);
            first
        }
        '$' if !flags.multiline => {
            out.push_str(r"(?=\n?\z)");
            i + 1
        }
        '{' => match quantifier_end(chars, i) {
            Some((end, min, max)) => {
                out.push_str(&format!("{{{min},{max}}}"));
                end
            }
            None => {
                out.push_str(r"\{");
                i + 1
            }
        },
        '}' => {
            out.push_str(r"\}");
            i + 1
        }
        '(' if chars[i + 1..].starts_with(&['?', '#']) => {
            // An inline comment `(?#...)`: dropped, as Python ignores it.
            chars[i..]
                .iter()
                .position(|&c| c == ')')
                .map_or(chars.len(), |p| i + p + 1)
        }
        c if flags.ignore_case && I_FAMILY.contains(c) => {
            out.push('[');
            out.push_str(I_FAMILY);
            out.push(']');
            i + 1
        }
        c => {
            out.push(c);
            i + 1
        }
    }
}

/// Whether the class member at `i` is an endpoint of a range like `a-z`.
fn in_range(chars: &[char], i: usize, first: usize) -> bool {
    let dash_after = chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&c| c != ']');
    let dash_before = i >= first + 2 && chars[i - 1] == '-';
    dash_after || dash_before
}

/// Parses a Python quantifier `{m}`, `{m,}`, `{,n}`, `{m,n}` (or `{,}`) at
/// `chars[i]`; returns the index after it and its bounds. `{}` and anything
/// else malformed is a literal brace in Python.
fn quantifier_end(chars: &[char], i: usize) -> Option<(usize, String, String)> {
    let digits = |from: usize| {
        let n = chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        (chars[from..from + n].iter().collect::<String>(), from + n)
    };
    if chars.get(i + 1) == Some(&'}') {
        return None;
    }
    let (lo, mut j) = digits(i + 1);
    let hi = if chars.get(j) == Some(&',') {
        let (hi, next) = digits(j + 1);
        j = next;
        hi
    } else {
        lo.clone()
    };
    if chars.get(j) != Some(&'}') {
        return None;
    }
    let lo = if lo.is_empty() { "0".to_owned() } else { lo };
    Some((j + 1, lo, hi))
}

fn translate_escape(e: char, in_class: bool) -> String {
    let boundary = format!("(?:(?<=[{WORD}])(?![{WORD}])|(?<![{WORD}])(?=[{WORD}]))");
    let non_boundary = format!("(?:(?<=[{WORD}])(?=[{WORD}])|(?<![{WORD}])(?![{WORD}]))");
    match (e, in_class) {
        ('w', false) => format!("[{WORD}]"),
        ('w', true) => WORD.to_owned(),
        ('W', _) => format!("[^{WORD}]"),
        ('s', false) => format!("[{SPACE}]"),
        ('s', true) => SPACE.to_owned(),
        ('S', _) => format!("[^{SPACE}]"),
        ('b', false) => boundary,
        ('b', true) => r"\x08".to_owned(),
        ('B', false) => non_boundary,
        ('Z', false) => r"\z".to_owned(),
        (other, _) => format!("\\{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str, flags: Flags) -> PyRegex {
        PyRegex::new(p, flags).unwrap()
    }

    #[test]
    fn word_class_is_python_alnum() {
        let w = re(r"\w+", Flags::NONE);
        assert_eq!(
            w.find_all("x² snake_case नमस्ते"),
            ["x²", "snake_case", "नमस", "त"]
        );
        assert!(re(r"\bcat\b", Flags::IGNORECASE).is_match("The CAT's toy"));
        assert!(!re(r"\bcat\b", Flags::IGNORECASE).is_match("snake_cat_case"));
        assert!(!re(r"\bcaf\b", Flags::NONE).is_match("A café"));
    }

    #[test]
    fn space_and_dollar_follow_python() {
        assert!(re(r"a\sb", Flags::NONE).is_match("a\u{1c}b"));
        assert!(re(r"end$", Flags::NONE).is_match("the end\n"));
        assert!(!re(r"end$", Flags::NONE).is_match("the end\n\n"));
        assert_eq!(re(r"^\s*-.*$", Flags::MULTILINE).count("- a\n- b\nc"), 2);
    }

    #[test]
    fn ignore_case_matches_dotted_and_dotless_i() {
        let p = re("istanbul", Flags::IGNORECASE);
        assert!(p.is_match("İSTANBUL") && p.is_match("ıstanbul") && p.is_match("Istanbul"));
        assert!(re("[h-j]", Flags::IGNORECASE).is_match("I"));
        assert!(!re("straße", Flags::IGNORECASE).is_match("STRASSE"));
    }

    #[test]
    fn python_literal_braces_and_classes() {
        assert!(re("a{b", Flags::NONE).is_match("a{b"));
        assert!(re("a{}", Flags::NONE).is_match("a{}"));
        assert_eq!(re("ba{,2}", Flags::NONE).find_all("baaa"), ["baa"]);
        assert!(re("[[&]+", Flags::NONE).is_match("[&"));
        assert!(re("[]a]", Flags::NONE).is_match("]"));
        assert!(re(r"x(?#comment)y", Flags::NONE).is_match("xy"));
    }

    #[test]
    fn split_and_groups() {
        let p = re(r"\s?\*\*\*\s?", Flags::NONE);
        assert_eq!(p.split("a *** b***"), ["a", "b", ""]);
        assert_eq!(re(r"(x)y", Flags::NONE).groups(), 1);
    }
}
