//! Every hand-written case of `checker_cases.jsonl` gives its expected strict
//! and loose verdict.

mod common;

use common::ifeval_file;
use eval::ifeval::io::read_jsonl;
use eval::ifeval::{InputExample, scoring::score_prompt};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Case {
    instruction_id: String,
    kwargs: Map<String, Value>,
    prompt: String,
    response: String,
    expected: bool,
    expected_loose: bool,
}

#[test]
fn every_checker_case_passes() {
    let cases: Vec<Case> = read_jsonl(&ifeval_file("checker_cases.jsonl")).unwrap();
    assert_eq!(cases.len(), 189);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let input = InputExample {
            key: i as i64 + 1,
            prompt: case.prompt.clone(),
            instruction_id_list: vec![case.instruction_id.clone()],
            kwargs: vec![case.kwargs.clone()],
        };
        let result = score_prompt(&input, &case.response).unwrap();
        let got = (result.strict[0], result.loose[0]);
        if got != (case.expected, case.expected_loose) {
            failures.push(format!(
                "case {} {} {:?} on {:?}: expected (strict, loose) {:?}, got {got:?}",
                i + 1,
                case.instruction_id,
                case.kwargs,
                case.response,
                (case.expected, case.expected_loose)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
