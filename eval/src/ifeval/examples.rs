//! The records of Google's JSONL formats: a prompt with its instructions, a response, and a
//! verdict line (`io` reads and writes them).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One prompt of `input_data.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputExample {
    pub key: i64,
    pub prompt: String,
    pub instruction_id_list: Vec<String>,
    /// `kwargs[i]` belongs to `instruction_id_list[i]`.
    pub kwargs: Vec<Map<String, Value>>,
}

/// One line of a response file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseExample {
    pub prompt: String,
    pub response: String,
}

/// One line of `eval_results_strict.jsonl` / `eval_results_loose.jsonl`.
/// The fields are in the reference's order (alphabetical, from `dir()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputExample {
    pub follow_all_instructions: bool,
    pub follow_instruction_list: Vec<bool>,
    pub instruction_id_list: Vec<String>,
    pub prompt: String,
    pub response: String,
}
