//! `IFBench_test.jsonl`: IFEval's `input_data.jsonl` format except that
//! `key` is a string (`"0"`). Responses and outputs are IFEval's formats
//! ([`crate::ifeval::io`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::{Map, Value};

use super::scoring::{ScoreError, Scorer};
use crate::ifeval::InputExample;
use crate::ifeval::io::{self as ifeval_io, parse_jsonl_text, read_text};

/// A prompts file that cannot be read, parsed or checked (boxed: errors
/// stay small in `Result`s).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    File(Box<ifeval_io::ReadError>),
    #[error("{path}:{line}: {error}")]
    Input {
        path: PathBuf,
        line: usize,
        error: Box<ScoreError>,
    },
}

/// One line of the prompts file.
#[derive(Deserialize)]
struct Line {
    #[serde(deserialize_with = "key")]
    key: i64,
    prompt: String,
    instruction_id_list: Vec<String>,
    kwargs: Vec<Map<String, Value>>,
}

/// `key`: a string of an integer, as the test set writes it, or an integer.
/// Results are keyed by integer as for IFEval; the reference never reads it.
fn key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let value = Value::deserialize(deserializer)?;
    let parsed = match &value {
        Value::String(s) => s.parse().ok(),
        other => other.as_i64(),
    };
    parsed.ok_or_else(|| {
        D::Error::custom(format!(
            "field `key`: expected an integer or a string of one, got {value}"
        ))
    })
}

/// Reads the prompts and checks every instruction id and every kwarg's name
/// and type, so that a typo fails before anything is scored.
pub fn read_inputs(path: &Path, scorer: &Scorer) -> Result<Vec<InputExample>, ReadError> {
    let text = read_text(path).map_err(|e| ReadError::File(Box::new(e)))?;
    parse_inputs(&text, path, scorer)
}

/// [`read_inputs`] on a file's text; `path` only names it in errors.
pub fn parse_inputs(
    text: &str,
    path: &Path,
    scorer: &Scorer,
) -> Result<Vec<InputExample>, ReadError> {
    parse_jsonl_text::<Line>(text, path)
        .map_err(|e| ReadError::File(Box::new(e)))?
        .into_iter()
        .map(|(line, l)| {
            let input = InputExample {
                key: l.key,
                prompt: l.prompt,
                instruction_id_list: l.instruction_id_list,
                kwargs: l.kwargs,
            };
            match scorer.checkers(&input) {
                Ok(_) => Ok(input),
                Err(error) => Err(ReadError::Input {
                    path: path.to_owned(),
                    line,
                    error: Box::new(error),
                }),
            }
        })
        .collect()
}
