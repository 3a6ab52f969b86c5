//! Whether Python's `json.loads` accepts a string, without building the value.
//!
//! Python's decoder is more lenient than RFC 8259 parsers such as serde_json:
//! it takes `NaN`, `Infinity` and `-Infinity`, any top-level value and
//! duplicate keys. It is stricter in one place: an integer literal of more
//! than 4300 digits raises `ValueError` (CPython's int-string limit). Nesting
//! is walked with an explicit stack, so deep input cannot overflow ours
//! (Python would raise RecursionError, which the reference does not catch).

/// CPython's default `sys.get_int_max_str_digits()`.
const MAX_INT_DIGITS: usize = 4300;

/// `json.loads(text)` succeeds.
pub fn loads_ok(text: &str) -> bool {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.skip_ws();
    p.value() && {
        p.skip_ws();
        p.i == p.s.len()
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

/// What the parser expects after a value inside a container.
#[derive(Clone, Copy)]
enum Open {
    Array,
    Object,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// JSON whitespace only (`' \t\n\r'`), as Python's decoder skips.
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        let ok = self.s[self.i..].starts_with(lit);
        if ok {
            self.i += lit.len();
        }
        ok
    }

    /// One complete value, containers included.
    fn value(&mut self) -> bool {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            // Expecting the start of a value.
            match self.peek() {
                Some(b'[') => {
                    self.i += 1;
                    self.skip_ws();
                    if self.eat(b"]") {
                        if !self.close_values(&mut stack) {
                            return false;
                        }
                    } else {
                        stack.push(Open::Array);
                        continue;
                    }
                }
                Some(b'{') => {
                    self.i += 1;
                    self.skip_ws();
                    if self.eat(b"}") {
                        if !self.close_values(&mut stack) {
                            return false;
                        }
                    } else {
                        if !self.key() {
                            return false;
                        }
                        stack.push(Open::Object);
                        continue;
                    }
                }
                _ => {
                    if !self.scalar() || !self.close_values(&mut stack) {
                        return false;
                    }
                }
            }
            if stack.is_empty() {
                return true;
            }
        }
    }

    /// After a value: consumes `,` (then a key for objects) to expect the next
    /// member, or closing brackets. Returns false on a syntax error; leaves
    /// the position before the next value, or with `stack` empty when done.
    fn close_values(&mut self, stack: &mut Vec<Open>) -> bool {
        while let Some(&open) = stack.last() {
            self.skip_ws();
            let (close, needs_key) = match open {
                Open::Array => (b']', false),
                Open::Object => (b'}', true),
            };
            if self.eat(b",") {
                self.skip_ws();
                return !needs_key || self.key();
            }
            if !self.eat(&[close]) {
                return false;
            }
            stack.pop();
        }
        true
    }

    /// A member name, the colon and the whitespace before the value.
    fn key(&mut self) -> bool {
        if !self.string() {
            return false;
        }
        self.skip_ws();
        if !self.eat(b":") {
            return false;
        }
        self.skip_ws();
        true
    }

    fn scalar(&mut self) -> bool {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'n') => self.eat(b"null"),
            Some(b't') => self.eat(b"true"),
            Some(b'f') => self.eat(b"false"),
            Some(b'N') => self.eat(b"NaN"),
            Some(b'I') => self.eat(b"Infinity"),
            Some(b'-') if self.s[self.i + 1..].starts_with(b"Infinity") => self.eat(b"-Infinity"),
            _ => self.number(),
        }
    }

    /// A string in strict mode: no raw control characters, valid escapes.
    fn string(&mut self) -> bool {
        if !self.eat(b"\"") {
            return false;
        }
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => return true,
                0x00..=0x1f => return false,
                b'\\' => {
                    let ok = match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.i += 1;
                            true
                        }
                        Some(b'u') => {
                            let hex = self.s.get(self.i + 1..self.i + 5);
                            self.i += 5;
                            hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
                        }
                        _ => false,
                    };
                    if !ok {
                        return false;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`; a fraction or exponent
    /// without digits is not consumed (and then fails as extra data).
    fn number(&mut self) -> bool {
        let start = self.i;
        self.eat(b"-");
        let int_start = self.i;
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return false,
        }
        let int_digits = self.i - int_start;
        let mut is_float = false;
        if self.peek() == Some(b'.') && self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
            self.skip_digits();
            is_float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mark = self.i;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.skip_digits();
                is_float = true;
            } else {
                self.i = mark;
            }
        }
        debug_assert!(self.i > start);
        is_float || int_digits <= MAX_INT_DIGITS
    }

    fn skip_digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::loads_ok;

    #[test]
    fn accepts_what_python_accepts() {
        for ok in [
            "{}",
            "[]",
            "42",
            "-0.5e+3",
            "NaN",
            "-Infinity",
            "\"\\u00e9\"",
            r#"{"a": 1, "a": 2}"#,
            " [1, [2, {\"b\": [true, false, null]}]] ",
            "1E5",
            "\"é\"",
        ] {
            assert!(loads_ok(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_what_python_rejects() {
        let huge = "9".repeat(4301);
        for bad in [
            "",
            "{'a': 1}",
            "{\"a\": 1,}",
            "[1,]",
            "[1 2]",
            "01",
            "1.",
            "1e",
            ".5",
            "+1",
            "nan",
            "\"a\nb\"",
            "\"\\x\"",
            "{\"a\" 1}",
            "[",
            "{\"a\":}",
            "\u{feff}{}",
            "[] []",
            &huge,
        ] {
            assert!(!loads_ok(bad), "{bad:?}");
        }
        assert!(loads_ok(&"9".repeat(4300)));
        assert!(loads_ok(&format!("{}.0", "9".repeat(5000))));
        assert!(loads_ok(&format!(
            "{}{}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        )));
    }
}
