//! `list(csv.reader(io.StringIO(text), delimiter=...))` of CPython 3.11: the
//! state machine of `Modules/_csv.c` with the `excel` dialect (quote `"`,
//! doubled quotes, no escape character, not strict).
//!
//! The Rust `csv` crate is not used: it differs on what Python accepts, e.g.
//! a quote inside an unquoted field, and it does not raise where Python does
//! (a `\r` followed by more text in an unquoted field).

/// `_csv.field_size_limit()` by default.
const FIELD_LIMIT: usize = 128 * 1024;

#[derive(Clone, Copy, PartialEq)]
enum State {
    StartRecord,
    StartField,
    InField,
    InQuotedField,
    QuoteInQuotedField,
    EatCrnl,
}

/// One character of a line, or the end of the line (`EOL` in `_csv.c`).
#[derive(Clone, Copy, PartialEq)]
enum Input {
    Char(char),
    Eol,
}

struct Parser {
    delimiter: char,
    state: State,
    field: String,
    field_len: usize,
    fields: Vec<String>,
}

impl Parser {
    fn save_field(&mut self) {
        self.fields.push(std::mem::take(&mut self.field));
        self.field_len = 0;
    }

    /// `parse_add_char`: `None` for Python's "field larger than field limit".
    fn add_char(&mut self, c: char) -> Option<()> {
        if self.field_len >= FIELD_LIMIT {
            return None;
        }
        self.field.push(c);
        self.field_len += 1;
        Some(())
    }

    /// `parse_process_char`: `None` where Python raises `csv.Error`.
    fn process(&mut self, input: Input) -> Option<()> {
        let newline = matches!(input, Input::Char('\n' | '\r'));
        let line_end = |input| {
            if input == Input::Eol {
                State::StartRecord
            } else {
                State::EatCrnl
            }
        };
        match self.state {
            State::StartRecord if input == Input::Eol => {}
            State::StartRecord if newline => self.state = State::EatCrnl,
            State::StartRecord | State::StartField => {
                self.state = State::StartField;
                match input {
                    _ if newline || input == Input::Eol => {
                        self.save_field();
                        self.state = line_end(input);
                    }
                    Input::Char('"') => self.state = State::InQuotedField,
                    Input::Char(c) if c == self.delimiter => self.save_field(),
                    Input::Char(c) => {
                        self.add_char(c)?;
                        self.state = State::InField;
                    }
                    Input::Eol => unreachable!("handled above"),
                }
            }
            State::InField => match input {
                _ if newline || input == Input::Eol => {
                    self.save_field();
                    self.state = line_end(input);
                }
                Input::Char(c) if c == self.delimiter => {
                    self.save_field();
                    self.state = State::StartField;
                }
                Input::Char(c) => self.add_char(c)?,
                Input::Eol => unreachable!("handled above"),
            },
            State::InQuotedField => match input {
                Input::Eol => {}
                Input::Char('"') => self.state = State::QuoteInQuotedField,
                Input::Char(c) => self.add_char(c)?,
            },
            State::QuoteInQuotedField => match input {
                Input::Char('"') => {
                    self.add_char('"')?;
                    self.state = State::InQuotedField;
                }
                Input::Char(c) if c == self.delimiter => {
                    self.save_field();
                    self.state = State::StartField;
                }
                _ if newline || input == Input::Eol => {
                    self.save_field();
                    self.state = line_end(input);
                }
                Input::Char(c) => {
                    self.add_char(c)?;
                    self.state = State::InField;
                }
                Input::Eol => unreachable!("handled above"),
            },
            State::EatCrnl => match input {
                _ if newline => {}
                Input::Eol => self.state = State::StartRecord,
                // "new-line character seen in unquoted field"
                Input::Char(_) => return None,
            },
        }
        Some(())
    }
}

/// The rows of `text`; `None` where Python raises `csv.Error`. As
/// `io.StringIO` yields them, lines end only at `\n`.
pub fn read(text: &str, delimiter: char) -> Option<Vec<Vec<String>>> {
    let mut parser = Parser {
        delimiter,
        state: State::StartRecord,
        field: String::new(),
        field_len: 0,
        fields: Vec::new(),
    };
    let mut rows = Vec::new();
    for line in text.split_inclusive('\n') {
        for c in line.chars() {
            parser.process(Input::Char(c))?;
        }
        parser.process(Input::Eol)?;
        if parser.state == State::StartRecord {
            rows.push(std::mem::take(&mut parser.fields));
        }
    }
    // The input ends inside a quoted field: Python returns what it has.
    if parser.state == State::InQuotedField || parser.field_len != 0 {
        parser.save_field();
        rows.push(parser.fields);
    }
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::read;

    fn rows(text: &str, delimiter: char) -> Option<Vec<Vec<&'static str>>> {
        read(text, delimiter).map(|rows| {
            rows.into_iter()
                .map(|r| r.into_iter().map(|f| &*f.leak()).collect())
                .collect()
        })
    }

    #[test]
    fn reads_like_python() {
        assert_eq!(
            rows("a,b\n\n\"c,\"\"d\",e\r\nx\"y,\"z\"w", ','),
            Some(vec![
                vec!["a", "b"],
                vec![],
                vec!["c,\"d", "e"],
                vec!["x\"y", "zw"]
            ])
        );
        assert_eq!(
            rows("\"a\nb\"\t1\n\"open", '\t'),
            Some(vec![vec!["a\nb", "1"], vec!["open"]])
        );
        assert_eq!(rows("a,", ','), Some(vec![vec!["a", ""]]));
        assert_eq!(rows("", ','), Some(vec![]));
        assert_eq!(rows("a\rb", ','), None);
    }
}
