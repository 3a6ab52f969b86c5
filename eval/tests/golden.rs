//! The GPT-4 reference responses give every golden strict and loose verdict
//! (`golden_gpt4_eval.jsonl`, computed with Google's code) and the headline
//! numbers of the data README.

mod common;

use std::collections::HashMap;
use std::sync::OnceLock;

use common::{GPT4_INPUTS, GPT4_RESPONSES, ifeval_file};
use eval::ifeval::io::read_jsonl;
use eval::ifeval::{Evaluation, InputExample, Metrics, ResponseExample, evaluate};
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    key: i64,
    instruction_id_list: Vec<String>,
    follow_instruction_list_strict: Vec<bool>,
    follow_instruction_list_loose: Vec<bool>,
}

fn gpt4_evaluation() -> &'static Evaluation {
    static EVALUATION: OnceLock<Evaluation> = OnceLock::new();
    EVALUATION.get_or_init(|| {
        let inputs: Vec<InputExample> = read_jsonl(&ifeval_file(GPT4_INPUTS)).unwrap();
        let responses: Vec<ResponseExample> = read_jsonl(&ifeval_file(GPT4_RESPONSES)).unwrap();
        evaluate(&inputs, &responses).unwrap()
    })
}

#[test]
fn every_gpt4_verdict_matches_golden() {
    let evaluation = gpt4_evaluation();
    assert!(evaluation.unanswered.is_empty() && evaluation.unmatched.is_empty());
    let results: HashMap<i64, _> = evaluation.results.iter().map(|r| (r.key, r)).collect();
    let golden: Vec<Golden> = read_jsonl(&ifeval_file("golden_gpt4_eval.jsonl")).unwrap();
    assert_eq!(golden.len(), 541);

    let mut compared = 0;
    let mut diffs = Vec::new();
    for g in &golden {
        let r = results[&g.key];
        assert_eq!(
            r.instruction_id_list, g.instruction_id_list,
            "key {}",
            g.key
        );
        for (mode, expected, got) in [
            ("strict", &g.follow_instruction_list_strict, &r.strict),
            ("loose", &g.follow_instruction_list_loose, &r.loose),
        ] {
            for ((id, &want), &have) in g.instruction_id_list.iter().zip(expected).zip(got) {
                compared += 1;
                if want != have {
                    diffs.push(format!(
                        "key {} {id} ({mode}): expected {want}, got {have}",
                        g.key
                    ));
                }
            }
        }
    }
    assert_eq!(compared, 2 * 834);
    assert!(
        diffs.is_empty(),
        "{} of {compared} verdicts differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn gpt4_headline_numbers() {
    let m = Metrics::compute(&gpt4_evaluation().results);
    let counts = m.headline().map(|(_, acc)| (acc.correct, acc.total));
    assert_eq!(counts, [(417, 541), (698, 834), (431, 541), (714, 834)]);
    let percent = m
        .headline()
        .map(|(_, acc)| format!("{:.2}", 100.0 * acc.value()));
    assert_eq!(percent, ["77.08", "83.69", "79.67", "85.61"]);
}
