//! The sample responses the reference ships give every golden strict and
//! loose verdict (`golden_sample_eval.jsonl`, made with the reference) and
//! the headline numbers of the data README.

mod common;

use std::collections::HashMap;

use common::{ifbench_file, ifbench_scorer, scratch_dir};
use eval::ifbench;
use eval::ifeval::examples::OutputExample;
use eval::ifeval::io::read_jsonl;
use eval::ifeval::{Metrics, Report, ResponseExample};
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    key: String,
    instruction_id_list: Vec<String>,
    strict: Vec<bool>,
    loose: Vec<bool>,
}

#[test]
fn sample_verdicts_and_headline_match_golden() {
    let scorer = ifbench_scorer();
    let inputs = ifbench::io::read_inputs(&ifbench_file("IFBench_test.jsonl"), &scorer).unwrap();
    assert_eq!(inputs.len(), 294);
    let responses: Vec<ResponseExample> = read_jsonl(&ifbench_file("sample_output.jsonl")).unwrap();
    let evaluation = scorer.evaluate(&inputs, &responses).unwrap();
    assert!(evaluation.unanswered.is_empty() && evaluation.unmatched.is_empty());

    let results: HashMap<i64, _> = evaluation.results.iter().map(|r| (r.key, r)).collect();
    let golden: Vec<Golden> = read_jsonl(&ifbench_file("golden_sample_eval.jsonl")).unwrap();
    assert_eq!(golden.len(), 294);
    let (mut compared, mut diffs) = (0, Vec::new());
    for g in &golden {
        let r = results[&g.key.parse::<i64>().unwrap()];
        assert_eq!(
            r.instruction_id_list, g.instruction_id_list,
            "key {}",
            g.key
        );
        for (mode, expected, got) in [
            ("strict", &g.strict, &r.strict),
            ("loose", &g.loose, &r.loose),
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
    assert_eq!(compared, 2 * 335);
    assert!(
        diffs.is_empty(),
        "{} of {compared} verdicts differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );

    let m = Metrics::compute(&evaluation.results);
    let counts = m.headline().map(|(_, acc)| (acc.correct, acc.total));
    assert_eq!(counts, [(77, 294), (93, 335), (88, 294), (109, 335)]);
    assert_eq!(m.per_type.len(), 57);

    // The IFEval output files, under an IFBench title.
    let dir = scratch_dir("ifbench_golden_outputs");
    let report = Report::new(&evaluation, serde_json::Value::Null);
    ifbench::write_results(&dir, &evaluation, &report).unwrap();
    let strict: Vec<OutputExample> = read_jsonl(&dir.join("eval_results_strict.jsonl")).unwrap();
    assert_eq!(
        strict.iter().filter(|o| o.follow_all_instructions).count(),
        77
    );
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.starts_with("# IFBench results") && md.contains("| words:start_verb |"),
        "{md}"
    );
}

/// Key 286 (`repeat:repeat_span`, `n_start: 0`) draws its start with
/// `random.randint(0, 41)` in the reference; after `random.seed(0)`, as for the
/// golden verdicts, that is 24, so the span is words 24..7: empty. Any start
/// gives "not followed" for the sample response, which is longer than 7 words.
#[test]
fn key_286_draws_the_reference_start() {
    let scorer = ifbench_scorer();
    let inputs = ifbench::io::read_inputs(&ifbench_file("IFBench_test.jsonl"), &scorer).unwrap();
    let input = inputs.iter().find(|i| i.key == 286).unwrap();
    let prompt_words: Vec<&str> = input.kwargs[0]["prompt_to_repeat"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(prompt_words.len(), 43);
    // The drawn span is empty, so only an empty response (never checked) would follow;
    // words 0..7 would have followed with an explicit start.
    let first_seven = prompt_words[..7].join(" ");
    assert!(!scorer.score_prompt(input, &first_seven).unwrap().strict[0]);
    let mut explicit = input.clone();
    explicit.kwargs[0].insert("n_start".into(), serde_json::json!(1));
    assert!(
        scorer
            .score_prompt(&explicit, &prompt_words[1..7].join(" "))
            .unwrap()
            .strict[0]
    );
}
