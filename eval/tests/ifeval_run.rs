//! `eval ifeval` and `eval ifbench` with the real model: end to end (IFEval against the greedy
//! fixture), and resumed after a kill. Skipped (loudly) when the weights are absent.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    fixture_json, ids, ifbench_file, ifbench_scorer, ifeval_file, scratch_dir, tokenizer,
};
use eval::ifeval::io::read_jsonl;
use eval::ifeval::{InputExample, OutputExample, Report};
use eval::ifeval_run::{ChatTemplate, ResponseRecord, prompt_ids};
use gemma::paths::real_model_for_tests;

fn ifeval(model: &Path, out: &Path, limit: usize, max_new_tokens: usize) -> Command {
    generate("ifeval", model, out, limit, max_new_tokens)
}

/// `eval BENCHMARK` (ifeval or ifbench) on flex.
fn generate(
    benchmark: &str,
    model: &Path,
    out: &Path,
    limit: usize,
    max_new_tokens: usize,
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eval"));
    cmd.args([benchmark, "--backend", "flex", "--model"])
        .arg(model)
        .args([
            "--limit",
            &limit.to_string(),
            "--max-new-tokens",
            &max_new_tokens.to_string(),
        ])
        .arg("--output-dir")
        .arg(out);
    cmd
}

fn records(out: &Path) -> Vec<ResponseRecord> {
    read_jsonl(&out.join("responses.jsonl")).unwrap()
}

#[test]
fn chat_prompts_match_the_fixture_ids() {
    let Some(model) = real_model_for_tests() else {
        return;
    };
    let tok = tokenizer(&model);
    for r in fixture_json("ifeval_greedy.json")["records"]
        .as_array()
        .unwrap()
    {
        let ids_here = prompt_ids(&tok, r["prompt"].as_str().unwrap(), ChatTemplate::Auto).unwrap();
        assert_eq!(ids_here, ids(&r["input_ids"]), "prompt key {}", r["key"]);
    }
}

#[test]
fn generates_scores_and_matches_the_greedy_fixture() {
    let Some(model) = real_model_for_tests() else {
        return;
    };
    let out = scratch_dir("ifeval_end_to_end");
    let run = ifeval(&model, &out, 3, 16).output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("prompt_level_strict_acc"));

    let tok = tokenizer(&model);
    let fixture = fixture_json("ifeval_greedy.json");
    let recs = records(&out);
    assert_eq!(recs.len(), 3);
    for (rec, want) in recs.iter().zip(fixture["records"].as_array().unwrap()) {
        assert_eq!(rec.key, want["key"].as_i64().unwrap());
        let want_ids = &ids(&want["generated_ids"])[..16];
        assert_eq!(rec.generated_ids, want_ids, "prompt key {}", rec.key);
        assert_eq!(
            rec.response,
            tok.decode(want_ids, true).unwrap(),
            "prompt key {}",
            rec.key
        );
        assert_eq!(
            rec.prompt_tokens,
            want["n_input_tokens"].as_u64().unwrap() as usize
        );
    }

    for name in ["eval_results_strict.jsonl", "eval_results_loose.jsonl"] {
        let outputs: Vec<OutputExample> = read_jsonl(&out.join(name)).unwrap();
        assert_eq!(outputs.len(), 3, "{name}");
    }
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.prompts_scored, 3);
    let meta = &report.metadata;
    assert_eq!(
        meta["model"]["sha256"].as_str().unwrap().len(),
        64,
        "{meta}"
    );
    assert_eq!(
        (
            meta["backend"].as_str(),
            meta["dtype"].as_str(),
            meta["limit"].as_u64()
        ),
        (Some("flex"), Some("f32"), Some(3))
    );
    assert_eq!(meta["generation"]["max_new_tokens"], 16);
    assert!(
        meta["git_revision"].is_string()
            && meta["this_invocation"]["tokens_per_sec"].as_f64().unwrap() > 0.0,
        "{meta}"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| prompt_level_strict_acc |") && md.contains("## Run metadata"));
}

#[test]
fn a_killed_run_resumes_without_losing_or_repeating_prompts() {
    let inputs: Vec<InputExample> = read_jsonl(&ifeval_file("input_data.jsonl")).unwrap();
    killed_run_resumes("ifeval", &inputs);
}

#[test]
fn a_killed_ifbench_run_resumes_too() {
    let path = ifbench_file("IFBench_test.jsonl");
    let inputs = eval::ifbench::io::read_inputs(&path, &ifbench_scorer()).unwrap();
    killed_run_resumes("ifbench", &inputs);
}

/// Kills `eval BENCHMARK` after two of four responses, leaves a torn line, reruns: nothing
/// finished is rewritten and every prompt is answered once.
fn killed_run_resumes(benchmark: &str, inputs: &[InputExample]) {
    let Some(model) = real_model_for_tests() else {
        return;
    };
    let out = scratch_dir(&format!("{benchmark}_resume"));
    let responses = out.join("responses.jsonl");
    // Two rows for four prompts: the kill comes while the last two are in flight.
    let mut child = generate(benchmark, &model, &out, 4, 8)
        .args(["--max-seqs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&responses).map_or(0, |t| t.lines().count()) < 2 {
        assert!(start.elapsed() < Duration::from_secs(300), "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_to_string(&responses).unwrap();
    assert!(
        before.lines().count() < 4,
        "the run finished before the kill:\n{before}"
    );
    // What a kill in the middle of a write leaves behind.
    std::fs::write(
        &responses,
        format!("{before}{{\"prompt\": \"Write a 300+ word"),
    )
    .unwrap();

    let rerun = generate(benchmark, &model, &out, 4, 8)
        .args(["--max-seqs", "2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert!(rerun.status.success(), "{stderr}");
    assert!(
        stderr.contains("dropping an incomplete last line"),
        "{stderr}"
    );
    let after = std::fs::read_to_string(&responses).unwrap();
    assert!(
        after.starts_with(&before),
        "finished prompts were rewritten"
    );
    let mut keys: Vec<i64> = records(&out).iter().map(|r| r.key).collect();
    keys.sort();
    let mut want: Vec<i64> = inputs[..4].iter().map(|i| i.key).collect();
    want.sort();
    assert_eq!(keys, want);
    // The same responses as a run that was never interrupted (and had a row per prompt).
    let whole = scratch_dir(&format!("{benchmark}_uninterrupted"));
    let status = generate(benchmark, &model, &whole, 4, 8).status().unwrap();
    assert!(status.success());
    let by_key = |out: &Path| {
        let mut r: Vec<(i64, Vec<u32>)> = records(out)
            .into_iter()
            .map(|r| (r.key, r.generated_ids))
            .collect();
        r.sort();
        r
    };
    assert_eq!(by_key(&out), by_key(&whole), "resumed vs uninterrupted");
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        (
            report.prompts_scored,
            report.metadata["this_invocation"]["prompts_resumed"].as_u64()
        ),
        (4, Some(before.lines().count() as u64))
    );
}

#[test]
fn a_damaged_responses_file_is_refused_with_its_line() {
    let Some(model) = real_model_for_tests() else {
        return;
    };
    let out = scratch_dir("ifeval_damaged");
    std::fs::write(out.join("responses.jsonl"), "{\"prompt\": \"x\"}\n").unwrap();
    let run = ifeval(&model, &out, 1, 1).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("responses.jsonl:1:") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn ifbench_generates_and_scores_end_to_end() {
    let Some(model) = real_model_for_tests() else {
        return;
    };
    let out = scratch_dir("ifbench_end_to_end");
    let run = generate("ifbench", &model, &out, 3, 16).output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("prompt_level_strict_acc"));
    let path = ifbench_file("IFBench_test.jsonl");
    let inputs = eval::ifbench::io::read_inputs(&path, &ifbench_scorer()).unwrap();
    let recs = records(&out);
    let keys: Vec<i64> = recs.iter().map(|r| r.key).collect();
    assert_eq!(keys, inputs[..3].iter().map(|i| i.key).collect::<Vec<_>>());
    assert!(recs.iter().all(|r| r.generated_ids.len() <= 16));
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.prompts_scored, 3);
    assert_eq!(report.metadata["benchmark"], "ifbench");
    // Rescoring the written responses with `eval score --benchmark ifbench` gives the same
    // verdicts, line for line.
    let rescored = out.join("rescored");
    let score = Command::new(env!("CARGO_BIN_EXE_eval"))
        .args(["score", "--benchmark", "ifbench", "--input-data"])
        .arg(&path)
        .arg("--responses")
        .arg(out.join("responses.jsonl"))
        .arg("--output-dir")
        .arg(&rescored)
        .output()
        .unwrap();
    assert!(
        score.status.success(),
        "{}",
        String::from_utf8_lossy(&score.stderr)
    );
    for name in ["eval_results_strict.jsonl", "eval_results_loose.jsonl"] {
        let here = std::fs::read_to_string(out.join(name)).unwrap();
        assert_eq!(here.lines().count(), 3, "{name}");
        assert_eq!(
            here,
            std::fs::read_to_string(rescored.join(name)).unwrap(),
            "{name}"
        );
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("IFBench"), "{md}");
}
