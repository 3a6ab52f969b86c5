//! Google's JSONL formats: `input_data.jsonl` (prompts with instructions),
//! `input_response_data.jsonl` (responses) and the `eval_results_*.jsonl`
//! outputs, written byte-for-byte as Python's `json.dumps` writes them.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::examples::{InputExample, OutputExample};
use super::scoring::{ScoreError, checkers};

/// A file that cannot be read or parsed. The messages hold the whole story: these errors have
/// no `source()`, so an error chain never repeats it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    #[error("{path}:{line}: {error}")]
    Line {
        path: PathBuf,
        line: usize,
        error: serde_json::Error,
    },
    #[error("{path}:{line}: {error}")]
    Input {
        path: PathBuf,
        line: usize,
        error: Box<ScoreError>,
    },
}

/// Parses every non-blank line of a JSONL file.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReadError> {
    Ok(read_jsonl_lines(path)?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

/// Every non-blank line of a JSONL file, parsed, with its 1-based line number.
pub fn read_jsonl_lines<T: DeserializeOwned>(path: &Path) -> Result<Vec<(usize, T)>, ReadError> {
    parse_jsonl_text(&read_text(path)?, path)
}

/// The whole file as text.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    fs::read_to_string(path).map_err(|error| ReadError::Io {
        path: path.to_owned(),
        error,
    })
}

/// [`read_jsonl_lines`] on a file's text; `path` only names it in errors.
pub fn parse_jsonl_text<T: DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<Vec<(usize, T)>, ReadError> {
    parse_jsonl_lines(text).map_err(|(line, error)| ReadError::Line {
        path: path.to_owned(),
        line,
        error,
    })
}

/// Reads prompts in Google's `input_data.jsonl` format and checks every instruction id and
/// every kwarg's name and type, so that a typo fails before anything is generated.
pub fn read_inputs(path: &Path) -> Result<Vec<InputExample>, ReadError> {
    parse_inputs(&read_text(path)?, path)
}

/// [`read_inputs`] on a file's text; `path` only names it in errors.
pub fn parse_inputs(text: &str, path: &Path) -> Result<Vec<InputExample>, ReadError> {
    parse_jsonl_text::<InputExample>(text, path)?
        .into_iter()
        .map(|(line, input)| match checkers(&input) {
            Ok(_) => Ok(input),
            Err(error) => Err(ReadError::Input {
                path: path.to_owned(),
                line,
                error: Box::new(error),
            }),
        })
        .collect()
}

/// Parses JSONL text; an error carries its 1-based line number.
pub fn parse_jsonl<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, (usize, serde_json::Error)> {
    Ok(parse_jsonl_lines(text)?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

fn parse_jsonl_lines<T: DeserializeOwned>(
    text: &str,
) -> Result<Vec<(usize, T)>, (usize, serde_json::Error)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map(|v| (i + 1, v))
                .map_err(|e| (i + 1, e))
        })
        .collect()
}

/// Writes one `json.dumps` line per output, as `evaluation_lib.write_outputs`.
pub fn write_outputs(path: &Path, outputs: &[OutputExample]) -> io::Result<()> {
    let mut out = io::BufWriter::new(fs::File::create(path)?);
    for output in outputs {
        out.write_all(python_json(output).as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// `json.dumps(value)` with Python's defaults: `", "` and `": "` separators and
/// every character outside printable ASCII as a lowercase `\uXXXX` escape.
pub fn python_json<T: Serialize>(value: &T) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, PythonFormatter);
    value
        .serialize(&mut ser)
        .expect("serializing to memory cannot fail");
    String::from_utf8(buf).expect("the output is ASCII")
}

struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    /// serde_json escapes quotes, backslashes and control characters itself;
    /// the rest of Python's `ensure_ascii` escaping (DEL and non-ASCII) is here.
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        for c in fragment.chars() {
            if (' '..='~').contains(&c) {
                w.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ifeval::examples::ResponseExample;

    #[test]
    fn writes_like_python_json_dumps() {
        let out = OutputExample {
            follow_all_instructions: false,
            follow_instruction_list: vec![true, false],
            instruction_id_list: vec!["a:b".into(), "c:d".into()],
            prompt: "é\u{7f}\"\n\t\u{1}😀".into(),
            response: String::new(),
        };
        assert_eq!(
            python_json(&out),
            r#"{"follow_all_instructions": false, "follow_instruction_list": [true, false], "instruction_id_list": ["a:b", "c:d"], "prompt": "\u00e9\u007f\"\n\t\u0001\ud83d\ude00", "response": ""}"#
        );
    }

    #[test]
    fn parse_errors_carry_line_numbers() {
        let text = "{\"prompt\": \"a\", \"response\": \"b\"}\n\n{\"prompt\": 1}\n";
        let err = parse_jsonl::<ResponseExample>(text).unwrap_err();
        assert_eq!(err.0, 3);
    }
}
