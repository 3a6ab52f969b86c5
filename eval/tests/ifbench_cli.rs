//! `eval score --benchmark ifbench` end to end on the shipped sample responses.

mod common;

use std::process::Command;

use common::{ifbench_file, scratch_dir};
use eval::data_dir::data_dir;
use eval::ifeval::io::read_jsonl;
use eval::ifeval::{OutputExample, Report};

#[test]
fn score_ifbench_writes_the_ifeval_files() {
    let out = scratch_dir("ifbench_cli").join("out");
    // The default prompts are the test set in the data directory.
    let status = Command::new(env!("CARGO_BIN_EXE_eval"))
        .args(["score", "--benchmark", "ifbench", "--responses"])
        .arg(ifbench_file("sample_output.jsonl"))
        .arg("--output-dir")
        .arg(&out)
        .arg("--data-dir")
        .arg(data_dir())
        .status()
        .unwrap();
    assert!(status.success());
    for (name, followed) in [
        ("eval_results_strict.jsonl", 77),
        ("eval_results_loose.jsonl", 88),
    ] {
        let outputs: Vec<OutputExample> = read_jsonl(&out.join(name)).unwrap();
        assert_eq!(outputs.len(), 294);
        assert_eq!(
            outputs.iter().filter(|o| o.follow_all_instructions).count(),
            followed
        );
    }
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.counts.inst_level_strict_acc.correct, 93);
    assert_eq!(report.counts.inst_level_loose_acc.correct, 109);
    assert_eq!(report.metadata["benchmark"], "ifbench");
    assert!(
        std::fs::read_to_string(out.join("report.md"))
            .unwrap()
            .starts_with("# IFBench results")
    );
}

#[test]
fn score_ifbench_reports_a_bad_prompts_file() {
    let dir = scratch_dir("ifbench_cli_bad");
    let prompts = dir.join("prompts.jsonl");
    std::fs::write(
        &prompts,
        "{\"key\": \"1\", \"prompt\": \"p\", \"instruction_id_list\": [\"count:numbers\"], \"kwargs\": [{\"N\": \"two\"}]}\n",
    )
    .unwrap();
    let responses = dir.join("responses.jsonl");
    std::fs::write(&responses, "{\"prompt\": \"p\", \"response\": \"r\"}\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_eval"))
        .args(["score", "--benchmark", "ifbench", "--input-data"])
        .arg(&prompts)
        .arg("--responses")
        .arg(&responses)
        .arg("--output-dir")
        .arg(dir.join("out"))
        .arg("--data-dir")
        .arg(data_dir())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("prompts.jsonl:1:") && stderr.contains("`N`"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
