//! `eval score` end to end on a subset of the GPT-4 data.

mod common;

use std::path::Path;
use std::process::Command;

use common::{GPT4_INPUTS, GPT4_RESPONSES, ifeval_file, scratch_dir};
use eval::ifeval::io::read_jsonl;
use eval::ifeval::{OutputExample, Report};

fn first_lines(from: &Path, n: usize) -> String {
    std::fs::read_to_string(from)
        .unwrap()
        .lines()
        .take(n)
        .map(|l| format!("{l}\n"))
        .collect()
}

fn eval_cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eval"))
}

#[test]
fn score_writes_parsable_outputs() {
    let dir = scratch_dir("cli_score");
    let (inputs, responses, out) = (
        dir.join("inputs.jsonl"),
        dir.join("responses.jsonl"),
        dir.join("out"),
    );
    std::fs::write(&inputs, first_lines(&ifeval_file(GPT4_INPUTS), 20)).unwrap();
    let extra = "{\"prompt\": \"not in the input data\", \"response\": \"x\"}\n";
    std::fs::write(
        &responses,
        first_lines(&ifeval_file(GPT4_RESPONSES), 20) + extra,
    )
    .unwrap();

    let run = eval_cmd()
        .args(["score", "--input-data"])
        .arg(&inputs)
        .arg("--responses")
        .arg(&responses)
        .arg("--output-dir")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("response 21 matches no prompt"), "{stderr}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("prompt_level_strict_acc"));

    for name in ["eval_results_strict.jsonl", "eval_results_loose.jsonl"] {
        let outputs: Vec<OutputExample> = read_jsonl(&out.join(name)).unwrap();
        assert_eq!(outputs.len(), 20, "{name}");
        assert!(
            outputs
                .iter()
                .all(|o| o.follow_instruction_list.len() == o.instruction_id_list.len())
        );
    }
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.prompts_scored, 20);
    assert_eq!(report.unmatched_responses.len(), 1);
    assert_eq!(report.metadata["command"], "score");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| prompt_level_strict_acc |") && md.contains("## Per instruction type"));
}

#[test]
fn default_input_data_comes_from_the_data_dir() {
    let dir = scratch_dir("cli_data_dir");
    let ifeval = dir.join("data/ifeval");
    std::fs::create_dir_all(&ifeval).unwrap();
    std::fs::write(
        ifeval.join("input_data.jsonl"),
        first_lines(&ifeval_file(GPT4_INPUTS), 3),
    )
    .unwrap();
    let responses = dir.join("responses.jsonl");
    std::fs::write(&responses, first_lines(&ifeval_file(GPT4_RESPONSES), 3)).unwrap();

    let run = eval_cmd()
        .env("GEMMA_DATA_DIR", &dir)
        .args(["score", "--responses"])
        .arg(&responses)
        .arg("--output-dir")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(report.prompts_scored, 3);
}

#[test]
fn bad_input_fails_cleanly() {
    let dir = scratch_dir("cli_bad_input");
    let responses = dir.join("responses.jsonl");
    std::fs::write(
        &responses,
        "{\"prompt\": \"a\", \"response\": \"b\"}\nnot json\n",
    )
    .unwrap();
    let run = eval_cmd()
        .args(["score", "--input-data"])
        .arg(ifeval_file(GPT4_INPUTS))
        .arg("--responses")
        .arg(&responses)
        .arg("--output-dir")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("responses.jsonl:2:") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
