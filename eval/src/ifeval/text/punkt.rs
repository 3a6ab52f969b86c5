//! NLTK's Punkt sentence tokenizer with its pretrained English model:
//! `PunktTokenizer("english").tokenize(text)` of nltk 3.10, which the
//! reference's `count_sentences` calls and `nltk.word_tokenize` starts with.
//!
//! A port of the tokenizing half only (no training). The `punkt` crate is not
//! used: it needs a nightly compiler and is a different algorithm that
//! approximates NLTK. Positions here are byte offsets where NLTK uses code
//! point offsets; every offset lands on a character boundary, so slices agree.
//!
//! nltk 3.10 runs its patterns on the third-party `regex` module, whose `\s`
//! is Unicode White_Space (Rust's `char::is_whitespace`) and whose `\w`
//! matches Rust's `\w`; `str.strip()` and `str.rstrip()` calls keep Python's
//! wider `isspace` ([`pystr`]).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;

use super::pystr;

/// The model: NLTK's `punkt_tab/english` files (see `data/punkt_english/README.md`).
struct Params {
    abbrev_types: HashSet<&'static str>,
    collocations: HashSet<(&'static str, &'static str)>,
    sent_starters: HashSet<&'static str>,
    ortho_context: HashMap<&'static str, u8>,
}

const ORTHO_BEG_UC: u8 = 1 << 1;
const ORTHO_MID_UC: u8 = 1 << 2;
const ORTHO_UNK_UC: u8 = 1 << 3;
const ORTHO_BEG_LC: u8 = 1 << 4;
const ORTHO_MID_LC: u8 = 1 << 5;
const ORTHO_UNK_LC: u8 = 1 << 6;
const ORTHO_UC: u8 = ORTHO_BEG_UC | ORTHO_MID_UC | ORTHO_UNK_UC;
const ORTHO_LC: u8 = ORTHO_BEG_LC | ORTHO_MID_LC | ORTHO_UNK_LC;

const ABBREV_TYPES: &str = include_str!("../../../data/punkt_english/abbrev_types.txt");
const COLLOCATIONS: &str = include_str!("../../../data/punkt_english/collocations.tab");
const SENT_STARTERS: &str = include_str!("../../../data/punkt_english/sent_starters.txt");
const ORTHO_CONTEXT: &str = include_str!("../../../data/punkt_english/ortho_context.tab");

fn params() -> &'static Params {
    static PARAMS: OnceLock<Params> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let lines = |text: &'static str| text.lines().filter(|l| !l.is_empty());
        let pairs = |text: &'static str| lines(text).filter_map(|l| l.split_once('\t'));
        let flags =
            |(typ, flags): (&'static str, &str)| (typ, flags.parse().expect("integer flags"));
        Params {
            abbrev_types: lines(ABBREV_TYPES).collect(),
            collocations: pairs(COLLOCATIONS).collect(),
            sent_starters: lines(SENT_STARTERS).collect(),
            ortho_context: pairs(ORTHO_CONTEXT).map(flags).collect(),
        }
    })
}

/// The sentences of `text`, as `PunktTokenizer("english").tokenize(text)`.
pub fn sentences(text: &str) -> Vec<&str> {
    realigned_spans(text, &candidate_spans(text))
        .into_iter()
        .map(|(start, end)| slice(text, start, end))
        .collect()
}

/// Python slicing: an empty string when `start >= end`.
fn slice(text: &str, start: usize, end: usize) -> &str {
    let end = end.min(text.len());
    if start < end { &text[start..end] } else { "" }
}

// ---------------------------------------------------------------------------
// Character classes of `PunktLanguageVars`.

fn is_sent_end(c: char) -> bool {
    matches!(c, '.' | '?' | '!')
}

/// `_re_non_word_chars`: characters that cannot appear within words.
fn is_non_word(c: char) -> bool {
    ")\";}]*:@'({[\u{2018}\u{2019}\u{201c}\u{201d}\u{ab}\u{bb}?!".contains(c)
}

/// Characters excluded by `_re_word_start`.
fn cannot_start_word(c: char) -> bool {
    "(\"`{[:;&#*@)}]-,".contains(c)
}

/// Closing punctuation that `re_boundary_realignment` moves onto the
/// sentence before.
fn is_closing(c: char) -> bool {
    "\"')]}\u{2018}\u{2019}\u{201c}\u{201d}\u{ab}\u{bb}".contains(c)
}

fn first_char(s: &str) -> Option<char> {
    s.chars().next()
}

/// Byte length of the leading run of characters satisfying `pred`.
fn run_len(s: &str, pred: impl Fn(char) -> bool) -> usize {
    s.find(|c: char| !pred(c)).unwrap_or(s.len())
}

/// `_re_multi_char_punct` matched at the start of `s`: `-{2,}`, `\.{2,}` or
/// `(\.\s){2,}\.`; returns the match length.
fn multi_char_len(s: &str) -> Option<usize> {
    for mark in ['-', '.'] {
        let n = run_len(s, |c| c == mark);
        if n >= 2 {
            return Some(n);
        }
    }
    // `(\.\s){2,}\.` with backtracking: the longest run of ". " pairs (at
    // least two) that is followed by a period.
    let mut pair_ends = Vec::new();
    let mut pos = 0;
    while s[pos..].starts_with('.') {
        match s[pos + 1..].chars().next() {
            Some(c) if c.is_whitespace() => {
                pos += 1 + c.len_utf8();
                pair_ends.push(pos);
            }
            _ => break,
        }
    }
    pair_ends
        .iter()
        .skip(1)
        .rev()
        .find(|&&end| s[end..].starts_with('.'))
        .map(|end| end + 1)
}

// ---------------------------------------------------------------------------
// Word tokens (`PunktLanguageVars.word_tokenize`, `_tokenize_words`).

/// Whether a word token that started earlier ends at `rest` (the lookahead
/// of `_word_tokenize_fmt`).
fn word_ends_at(rest: &str) -> bool {
    let Some(c) = first_char(rest) else {
        return true;
    };
    if c.is_whitespace() || is_non_word(c) || multi_char_len(rest).is_some() {
        return true;
    }
    if c == ',' {
        let after = &rest[1..];
        return match first_char(after) {
            None => true,
            Some(n) => n.is_whitespace() || is_non_word(n) || multi_char_len(after).is_some(),
        };
    }
    false
}

/// `re.findall` of the word tokenizer pattern on one line.
fn line_tokens(line: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(c) = first_char(&line[pos..]) {
        let rest = &line[pos..];
        let len = if let Some(n) = multi_char_len(rest) {
            n
        } else if c.is_whitespace() {
            pos += c.len_utf8();
            continue;
        } else if cannot_start_word(c) {
            c.len_utf8()
        } else {
            // `\S+?` up to the first position where the word may end.
            let mut end = c.len_utf8();
            while !word_ends_at(&rest[end..]) {
                end += first_char(&rest[end..]).map_or(0, char::len_utf8);
            }
            end
        };
        tokens.push(&rest[..len]);
        pos += len;
    }
    tokens
}

/// `_tokenize_words`: tokens of every non-blank line. The paragraph and line
/// start flags it also records only matter for training.
fn tokenize_words(text: &str) -> Vec<Token<'_>> {
    text.split('\n')
        .filter(|line| !pystr::strip(line).is_empty())
        .flat_map(line_tokens)
        .map(Token::new)
        .collect()
}

// ---------------------------------------------------------------------------
// Annotated tokens (`PunktToken`) and the two annotation passes.

struct Token<'a> {
    tok: &'a str,
    /// Lowercased, with numbers replaced by `##number##`.
    typ: String,
    sentbreak: bool,
    abbr: bool,
    ellipsis: bool,
}

fn numeric_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^-?[.,]?\d[\d,.\-]*\.?$").expect("valid pattern"))
}

fn initial_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[\w&&\D]\.$").expect("valid pattern"))
}

impl<'a> Token<'a> {
    fn new(tok: &'a str) -> Self {
        let lower = pystr::lower(tok);
        let typ = if numeric_re().is_match(&lower) {
            "##number##".to_owned()
        } else {
            lower
        };
        Token {
            tok,
            typ,
            sentbreak: false,
            abbr: false,
            ellipsis: false,
        }
    }

    fn period_final(&self) -> bool {
        self.tok.ends_with('.')
    }

    fn type_no_period(&self) -> &str {
        if self.typ.chars().nth(1).is_some() && self.typ.ends_with('.') {
            &self.typ[..self.typ.len() - 1]
        } else {
            &self.typ
        }
    }

    fn type_no_sentperiod(&self) -> &str {
        if self.sentbreak {
            self.type_no_period()
        } else {
            &self.typ
        }
    }

    fn first_upper(&self) -> bool {
        first_char(self.tok).is_some_and(char::is_uppercase)
    }

    fn first_lower(&self) -> bool {
        first_char(self.tok).is_some_and(char::is_lowercase)
    }

    fn is_ellipsis(&self) -> bool {
        self.tok.len() >= 2 && self.tok.bytes().all(|b| b == b'.')
    }

    fn is_initial(&self) -> bool {
        initial_re().is_match(self.tok)
    }

    /// `_first_pass_annotation`: decisions from the token's own type.
    fn annotate_first_pass(&mut self, params: &Params) {
        if matches!(self.tok, "." | "?" | "!") {
            self.sentbreak = true;
        } else if self.is_ellipsis() {
            self.ellipsis = true;
        } else if self.period_final() && !self.tok.ends_with("..") {
            let stem = pystr::lower(&self.tok[..self.tok.len() - 1]);
            let last_part = stem.rsplit('-').next().unwrap_or_default();
            if params.abbrev_types.contains(stem.as_str())
                || params.abbrev_types.contains(last_part)
            {
                self.abbr = true;
            } else {
                self.sentbreak = true;
            }
        }
    }

    fn ortho_context(&self, params: &Params) -> u8 {
        params
            .ortho_context
            .get(self.type_no_sentperiod())
            .copied()
            .unwrap_or(0)
    }

    /// `_ortho_heuristic`: whether this token starts a sentence (None: unknown).
    fn starts_sentence(&self, params: &Params) -> Option<bool> {
        if matches!(self.tok, ";" | ":" | "," | "." | "!" | "?") {
            return Some(false);
        }
        let context = self.ortho_context(params);
        if self.first_upper() && context & ORTHO_LC != 0 && context & ORTHO_MID_UC == 0 {
            return Some(true);
        }
        if self.first_lower() && (context & ORTHO_UC != 0 || context & ORTHO_BEG_LC == 0) {
            return Some(false);
        }
        None
    }
}

/// `_second_pass_annotation` of `tokens[i]` given the token after it.
fn annotate_second_pass(tokens: &mut [Token<'_>], i: usize, params: &Params) {
    let (head, tail) = tokens.split_at_mut(i + 1);
    let (tok, next) = (&mut head[i], &tail[0]);
    if !tok.period_final() {
        return;
    }
    let typ = tok.type_no_period();
    let next_typ = next.type_no_sentperiod();
    let is_initial = tok.is_initial();
    if params.collocations.contains(&(typ, next_typ)) {
        tok.sentbreak = false;
        tok.abbr = true;
        return;
    }
    if (tok.abbr || tok.ellipsis)
        && !is_initial
        && (next.starts_sentence(params) == Some(true)
            || (next.first_upper() && params.sent_starters.contains(next_typ)))
    {
        tok.sentbreak = true;
        return;
    }
    if is_initial || typ == "##number##" {
        let starter = next.starts_sentence(params);
        let special = starter.is_none()
            && is_initial
            && next.first_upper()
            && next.ortho_context(params) & ORTHO_LC == 0;
        if starter == Some(false) || special {
            tok.sentbreak = false;
            tok.abbr = true;
        }
    }
}

/// `text_contains_sentbreak`: some token other than the last ends a sentence.
fn contains_sentbreak(text: &str) -> bool {
    let params = params();
    let mut tokens = tokenize_words(text);
    for tok in &mut tokens {
        tok.annotate_first_pass(params);
    }
    for i in 0..tokens.len().saturating_sub(1) {
        annotate_second_pass(&mut tokens, i, params);
        if tokens[i].sentbreak {
            return true;
        }
    }
    false
}

// ---------------------------------------------------------------------------
// Sentence boundaries (`_match_potential_end_contexts`, `_slices_from_text`,
// `_realign_boundaries`).

/// A match of `period_context_re`: a sentence-end character followed by
/// either a non-word character or whitespace and a next token.
struct EndContext {
    start: usize,
    /// End of the `after_tok` group.
    after_end: usize,
    /// Start of the `next_tok` group, if that alternative matched.
    next_tok: Option<usize>,
}

fn end_contexts(text: &str) -> Vec<EndContext> {
    let mut found = Vec::new();
    for (start, c) in text.char_indices().filter(|&(_, c)| is_sent_end(c)) {
        let after = start + c.len_utf8();
        let rest = &text[after..];
        match first_char(rest) {
            Some(n) if is_non_word(n) => found.push(EndContext {
                start,
                after_end: after + n.len_utf8(),
                next_tok: None,
            }),
            Some(n) if n.is_whitespace() => {
                let tok_start = after + run_len(rest, char::is_whitespace);
                let tok_len = run_len(&text[tok_start..], |c| !c.is_whitespace());
                if tok_len > 0 {
                    found.push(EndContext {
                        start,
                        after_end: tok_start + tok_len,
                        next_tok: Some(tok_start),
                    });
                }
            }
            _ => {}
        }
    }
    found
}

/// `_get_last_whitespace_index`: the last ASCII whitespace, or 0 if none
/// (also when it is at index 0, a quirk the caller inherits).
fn last_whitespace_index(text: &str) -> usize {
    text.bytes()
        .rposition(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'))
        .unwrap_or(0)
}

/// `_slices_from_text`: spans ending at each confirmed sentence break.
fn candidate_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut last_break = 0;
    // `_match_potential_end_contexts`: each candidate with the word before
    // it; a candidate whose word overlaps the next one's is dropped.
    let contexts = end_contexts(text);
    let mut previous: Option<(&EndContext, (usize, usize))> = None;
    let mut decide = |ctx: &EndContext, word: (usize, usize), spans: &mut Vec<(usize, usize)>| {
        let context = format!(
            "{}{}",
            &text[word.0..word.1],
            &text[ctx.start..ctx.after_end]
        );
        if contains_sentbreak(&context) {
            let end = ctx.start + 1;
            spans.push((last_break, end));
            last_break = ctx.next_tok.unwrap_or(end);
        }
    };
    for ctx in &contexts {
        let (prev_start, prev_stop) = previous.map_or((0, 0), |(_, word)| word);
        let index = last_whitespace_index(&text[prev_stop..ctx.start]);
        let word_start = if index != 0 {
            index + prev_stop + 1
        } else {
            prev_start
        };
        if let Some((prev_ctx, prev_word)) = previous
            && prev_stop <= word_start
        {
            decide(prev_ctx, prev_word, &mut spans);
        }
        previous = Some((ctx, (word_start, ctx.start)));
    }
    if let Some((ctx, word)) = previous {
        decide(ctx, word, &mut spans);
    }
    spans.push((last_break, pystr::rstrip(text).len()));
    spans
}

/// `re_boundary_realignment.match(s)`: closing punctuation (lazily, at least
/// one) followed by whitespace, `--` or the end. Returns the length of the
/// punctuation and the end of the match.
fn realignment(s: &str) -> Option<(usize, usize)> {
    let mut len = 0;
    while let Some(c) = first_char(&s[len..]).filter(|&c| is_closing(c)) {
        len += c.len_utf8();
        let rest = &s[len..];
        match first_char(rest) {
            Some(n) if n.is_whitespace() => {
                return Some((len, len + run_len(rest, char::is_whitespace)));
            }
            None => return Some((len, len)),
            Some(_) if rest.starts_with("--") => return Some((len, len)),
            _ => {}
        }
    }
    None
}

/// `_realign_boundaries`: moves closing punctuation after a break onto the
/// sentence before it and drops empty sentences.
fn realigned_spans(text: &str, spans: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut realign = 0;
    for (i, &(start, end)) in spans.iter().enumerate() {
        let start = start + realign;
        let aligned = spans.get(i + 1).and_then(|&(next_start, next_end)| {
            realignment(slice(text, next_start, next_end))
                .map(|(len, m_end)| (next_start + len, m_end))
        });
        match aligned {
            Some((new_end, m_end)) => {
                out.push((start, new_end));
                realign = m_end;
            }
            None => {
                realign = 0;
                if !slice(text, start, end).is_empty() {
                    out.push((start, end));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_nltk() {
        assert_eq!(sentences("One. Two."), ["One.", "Two."]);
        assert_eq!(
            sentences("Dr. Smith arrived at 5 p.m. yesterday."),
            ["Dr. Smith arrived at 5 p.m. yesterday."]
        );
        assert_eq!(
            sentences("Really?! Yes. Absolutely..."),
            ["Really?!", "Yes.", "Absolutely..."]
        );
        assert_eq!(sentences("(Sent1.) Sent2."), ["(Sent1.)", "Sent2."]);
        assert_eq!(
            sentences("Very bad acting!!! I promise."),
            ["Very bad acting!!!", "I promise."]
        );
        assert!(sentences("   ").is_empty());
    }

    #[test]
    fn word_tokens_like_punkt() {
        assert_eq!(
            line_tokens("Hello, world... (ok) a-b --x"),
            [
                "Hello", ",", "world", "...", "(", "ok", ")", "a-b", "--", "x"
            ]
        );
        assert_eq!(multi_char_len(". . . x"), Some(5));
        assert_eq!(multi_char_len(". x"), None);
    }
}
