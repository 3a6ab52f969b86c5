//! `format:*`: layout of lines, bullets, quotes, brackets, emoji and case.

use super::{Checker, FromKwargs};
use crate::ifbench::text::sentences::split_into_sentences;
use crate::ifbench::text::strings::{
    is_emoji, is_punctuation, remove_punctuation, strip_punctuation,
};
use crate::ifeval::checkers::no_kwargs;
use crate::ifeval::kwargs::{Kwargs, KwargsError};
use crate::ifeval::text::pyre::{Flags, py_regex};
use crate::ifeval::text::pystr;
use crate::ifeval::text::word_tokenize::word_tokenize;

/// `emoji`: every sentence (punctuation removed) ends with an emoji in its
/// last two characters, or the next sentence starts with one.
pub struct Emoji;

/// `line_indent`: each non-blank line indented by more spaces than the last.
/// Blank lines are removed while the reference iterates over the same list,
/// so a blank line right after another blank line stays.
pub struct LineIndent;

/// `newline`: one word per line (punctuation removed, empty lines ignored).
pub struct Newline;

/// `no_bullets_bullets`: at least two sentences, then at least two `*` lines
/// and nothing else. A blank line among the sentences ends them.
pub struct NoBulletsBullets;

/// `no_whitespace`: no Python whitespace character.
pub struct NoWhitespace;

/// `output_template`: the three template labels appear.
pub struct OutputTemplate;

/// `parentheses`: a bracket closed after nesting reached depth 5 (a mismatched
/// closing bracket resets the count).
pub struct Parentheses;

/// `quote_unquote`: no two quotes in a row (whitespace removed) and the text,
/// without trailing digits and other punctuation, does not end with a quote.
///
/// Crash: a response of only digits, punctuation other than `"` and
/// whitespace leaves nothing to index (`IndexError`).
pub struct QuoteUnquote;

/// `quotes`: quotes nested 3 deep, each level closed by the same character.
pub struct Quotes;

/// `sub-bullets`: every piece after a `*` contains a `-`.
pub struct SubBullets;

/// `thesis`: a non-blank `<i>`/`<em>` thesis followed by more text.
pub struct Thesis;

/// `title_case`: no `word_tokenize` token that is lowercase, or lowercase
/// then uppercase (`iPHONE`).
pub struct TitleCase;

no_kwargs!(
    Emoji,
    LineIndent,
    Newline,
    NoBulletsBullets,
    NoWhitespace,
    OutputTemplate,
    Parentheses,
    QuoteUnquote,
    Quotes,
    SubBullets,
    Thesis,
    TitleCase,
);

impl Checker for Emoji {
    fn check(&self, response: &str) -> bool {
        let sentences = split_into_sentences(response);
        let cleaned = |s: &str| pystr::strip(&remove_punctuation(s)).to_owned();
        for (i, sentence) in sentences.iter().enumerate() {
            let chars: Vec<char> = cleaned(sentence).chars().collect();
            let Some(&last) = chars.last() else {
                return false;
            };
            let second_last = chars.len().checked_sub(2).map_or(last, |i| chars[i]);
            if is_emoji(last) || is_emoji(second_last) {
                continue;
            }
            match sentences.get(i + 1) {
                Some(next) => match cleaned(next).chars().next() {
                    Some(first) if is_emoji(first) => {}
                    _ => return false,
                },
                None => return false,
            }
        }
        true
    }
}

/// Leading spaces (`len(line) - len(line.lstrip(' '))`).
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

impl Checker for LineIndent {
    fn check(&self, response: &str) -> bool {
        let mut lines: Vec<&str> = response.split('\n').collect();
        // `for line in lines: if not line.strip(): lines.remove(line)`.
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            if pystr::strip(line).is_empty() {
                let first = lines.iter().position(|l| *l == line).expect("present");
                lines.remove(first);
            }
            i += 1;
        }
        lines.windows(2).all(|w| indent(w[1]) > indent(w[0]))
    }
}

/// `list`: the separator `sep` occurs at least twice.
pub struct List {
    sep: String,
}

impl FromKwargs for List {
    const KWARGS: &'static [&'static str] = &["sep"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        Ok(Self {
            sep: kwargs.string("sep")?.to_owned(),
        })
    }
}

impl Checker for List {
    fn check(&self, response: &str) -> bool {
        // `re.findall(re.escape(sep))`: non-overlapping, `len + 1` for "", as here.
        response.matches(self.sep.as_str()).count() >= 2
    }
}

impl Checker for Newline {
    fn check(&self, response: &str) -> bool {
        let text = remove_punctuation(response);
        let text = pystr::strip(&text);
        let lines = text.split('\n').filter(|l| !l.is_empty()).count();
        lines == pystr::split(text).count()
    }
}

impl Checker for NoBulletsBullets {
    fn check(&self, response: &str) -> bool {
        let (mut sentences, mut bullets) = (0, 0);
        // The reference's `sentences` flag: True, then the last line's
        // sentence list (falsy when empty), then False after a bullet.
        let mut open = true;
        for line in response.split('\n') {
            let line = pystr::strip(line);
            if line.starts_with('*') {
                open = false;
                if sentences < 2 {
                    return false;
                }
                bullets += 1;
            } else if open {
                let found = split_into_sentences(line).len();
                sentences += found;
                open = found > 0;
            } else {
                return false;
            }
        }
        bullets >= 2
    }
}

impl Checker for NoWhitespace {
    fn check(&self, response: &str) -> bool {
        !response.chars().any(pystr::is_space)
    }
}

/// `options`: the response is one of the options. Options that look like
/// `a), b), c)` must match exactly; others ignoring case and surrounding
/// punctuation.
pub struct Options {
    options: Vec<String>,
    exact: bool,
}

impl FromKwargs for Options {
    const KWARGS: &'static [&'static str] = &["options"];

    fn from_kwargs(kwargs: &Kwargs<'_>) -> Result<Self, KwargsError> {
        let text = kwargs.string("options")?;
        let exact = py_regex!(r"^\W*[aA]\W*[bB]\W*[cC]\W*", Flags::NONE).is_match(text);
        let separator = if text.contains('/') {
            "/"
        } else if text.contains("or") {
            "or"
        } else {
            ","
        };
        let options = text
            .split(separator)
            .map(|o| pystr::strip(o).to_owned())
            .collect();
        Ok(Self { options, exact })
    }
}

impl Checker for Options {
    fn check(&self, response: &str) -> bool {
        if self.exact {
            return self.options.iter().any(|o| o == response);
        }
        let normalize = |s: &str| pystr::lower(strip_punctuation(s));
        let response = normalize(response);
        self.options.iter().any(|o| normalize(o) == response)
    }
}

impl Checker for OutputTemplate {
    fn check(&self, response: &str) -> bool {
        ["My Answer:", "My Conclusion:", "Future Outlook:"]
            .iter()
            .all(|label| response.contains(label))
    }
}

impl Checker for Parentheses {
    fn check(&self, response: &str) -> bool {
        let mut open: Vec<char> = Vec::new();
        let mut max_depth = 0;
        for c in response.chars() {
            match c {
                '(' | '[' | '{' => {
                    open.push(c);
                    max_depth = max_depth.max(open.len());
                }
                ')' | ']' | '}' => {
                    let matching = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    if open.last() == Some(&matching) {
                        open.pop();
                        if max_depth >= 5 && open.len() < max_depth {
                            return true;
                        }
                    } else {
                        open.clear();
                        max_depth = 0;
                    }
                }
                _ => {}
            }
        }
        false
    }
}

impl Checker for QuoteUnquote {
    fn check(&self, response: &str) -> bool {
        let text = response.replace(['“', '”'], "\"").replace("'\"'", "");
        let text: String = pystr::split(&text).collect();
        if text.contains("\"\"") {
            return false;
        }
        let trimmed =
            text.trim_matches(|c: char| c.is_ascii_digit() || (is_punctuation(c) && c != '"'));
        matches!(trimmed.chars().last(), Some(c) if c != '"')
    }
}

impl Checker for Quotes {
    fn check(&self, response: &str) -> bool {
        let mut open: Vec<char> = Vec::new();
        let mut reached = 0;
        for c in response.chars() {
            if open.last() == Some(&c) {
                open.pop();
                if reached - open.len() >= 3 {
                    return true;
                }
            } else if c == '"' || c == '\'' {
                open.push(c);
                reached = reached.max(open.len());
            }
        }
        false
    }
}

impl Checker for SubBullets {
    fn check(&self, response: &str) -> bool {
        response.split('*').skip(1).all(|piece| piece.contains('-'))
    }
}

impl Checker for Thesis {
    fn check(&self, response: &str) -> bool {
        // Byte offsets work as the reference's code point offsets here: every
        // cut is next to an ASCII tag character.
        let Some(start) = response.find("<i>").or_else(|| response.find("<em>")) else {
            return false;
        };
        let text = &response[start..];
        let Some(end) = text.find("</i>").or_else(|| text.find("</em>")) else {
            return false;
        };
        let thesis = text.get(3..end).unwrap_or("");
        let after = text.get(end + 4..).unwrap_or("");
        !pystr::strip(thesis).is_empty() && !pystr::strip(after).is_empty()
    }
}

impl Checker for TitleCase {
    fn check(&self, response: &str) -> bool {
        word_tokenize(response).iter().all(|word| {
            let split = word.chars().next().map_or(0, char::len_utf8);
            let (first, rest) = word.split_at(split);
            let upper_first = pystr::is_upper(first) && pystr::is_lower(rest);
            upper_first
                || !(pystr::is_lower(first) && (pystr::is_upper(rest) || pystr::is_lower(rest)))
        })
    }
}
