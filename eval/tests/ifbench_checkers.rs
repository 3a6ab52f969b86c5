//! Every hand-written case of IFBench's `checker_cases.jsonl` gives the
//! reference's strict and loose verdict, and the NLTK ports agree with NLTK.

mod common;

use common::{ifbench_file, ifbench_scorer};
use eval::ifbench::text::nltk::Nltk;
use eval::ifeval::InputExample;
use eval::ifeval::io::read_jsonl;
use eval::ifeval::text::word_tokenize::word_tokenize;
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
    let scorer = ifbench_scorer();
    let cases: Vec<Case> = read_jsonl(&ifbench_file("checker_cases.jsonl")).unwrap();
    assert_eq!(cases.len(), 172);
    let types: std::collections::HashSet<&str> =
        cases.iter().map(|c| c.instruction_id.as_str()).collect();
    assert_eq!(types.len(), 57);
    let mut failures = Vec::new();
    let (mut strict_ok, mut loose_ok) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        let input = InputExample {
            key: i as i64 + 1,
            prompt: case.prompt.clone(),
            instruction_id_list: vec![case.instruction_id.clone()],
            kwargs: vec![case.kwargs.clone()],
        };
        let result = scorer.score_prompt(&input, &case.response).unwrap();
        let got = (result.strict[0], result.loose[0]);
        strict_ok += usize::from(got.0 == case.expected);
        loose_ok += usize::from(got.1 == case.expected_loose);
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
        "strict {strict_ok}/{n}, loose {loose_ok}/{n}; failing cases:\n{}",
        failures.join("\n"),
        n = cases.len()
    );
}

#[test]
fn pos_tag_reproduces_nltk_doc_example() {
    let nltk = Nltk::load(&ifbench_file("nltk_data")).unwrap();
    let tokens = word_tokenize("John's big idea isn't all that bad.");
    assert_eq!(
        nltk.pos_tag(&tokens),
        [
            "NNP", "POS", "JJ", "NN", "VBZ", "RB", "PDT", "DT", "JJ", "."
        ]
    );
    // Untagged words go through the model, as the first token of `words:start_verb` does.
    let tokens = word_tokenize("Summarize the plot briefly, then stop-gap 1999 answers.");
    assert_eq!(
        nltk.pos_tag(&tokens),
        ["VB", "DT", "NN", "NN", ",", "RB", "JJ", "CD", "NNS", "."]
    );
}
