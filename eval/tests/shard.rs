//! Sharded runs with the real model, merged with `eval merge`, against the same run unsharded:
//! IFEval through the Slurm and Kubernetes recipes (scripts/cluster, simulated with the
//! schedulers' variables in parallel processes), perplexity through `--shard I/N`, and the
//! merges that must be refused. Skipped (loudly) when the weights are absent.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::scratch_dir;
use eval::ifeval::Report;
use eval::ifeval::io::read_jsonl;
use eval::ifeval_run::ResponseRecord;
use eval::perplexity::report::ResultsFile;
use gemma::paths::{real_model_for_tests, workspace_root};

const LIMIT: &str = "40";
const MAX_NEW_TOKENS: &str = "16";

fn eval() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eval"))
}

fn succeeded(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn failed(what: &str, out: Output) -> String {
    assert!(!out.status.success(), "{what} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn model_args(model: &Path) -> String {
    format!("--backend flex --model {}", model.display())
}

/// Packed int8 (about 0.5 GiB a process, against 2.4 for f32) so that eight shards fit in
/// memory beside the other tests. One sequence at a time, so that each response is the same
/// bits in any split: in a batch, attention sums over the batch's longest cache and a
/// near-tie can go the other way (1 of these 40 prompts did, at 4 against 16 in flight).
fn ifeval_args(model: &Path) -> String {
    format!(
        "{} --packed int8 --max-seqs 1 --limit {LIMIT} --max-new-tokens {MAX_NEW_TOKENS}",
        model_args(model)
    )
}

fn report(dir: &Path) -> Report {
    serde_json::from_str(&fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

fn sorted_responses(dir: &Path) -> Vec<ResponseRecord> {
    let mut records: Vec<ResponseRecord> = read_jsonl(&dir.join("responses.jsonl")).unwrap();
    records.sort_by_key(|r| r.key);
    records
}

/// Every file a single run writes is the same in `merged` (responses as a set: a single run
/// writes them in the order they finish).
fn assert_same_ifeval(single: &Path, merged: &Path) {
    let (a, b) = (sorted_responses(single), sorted_responses(merged));
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(&b) {
        assert!(
            a == b,
            "key {}: {:?} against {:?}",
            a.key,
            a.generated_ids,
            b.generated_ids
        );
    }
    for name in [
        "eval_results_strict.jsonl",
        "eval_results_loose.jsonl",
        "run.json",
    ] {
        let text = |dir: &Path| fs::read_to_string(dir.join(name)).unwrap();
        assert!(text(single) == text(merged), "{name} differs");
    }
    let (a, b) = (report(single), report(merged));
    assert_eq!((&a.accuracy, &a.counts), (&b.accuracy, &b.counts));
    assert_eq!(a.prompts_scored, 40);
    assert_eq!(
        a.metadata["generated_tokens_all_prompts"],
        b.metadata["generated_tokens_all_prompts"]
    );
    let shards = b.metadata["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 8);
    assert!(
        shards
            .iter()
            .all(|s| s["this_invocation"]["prompts_generated"].as_u64() == Some(5)),
        "{shards:?}"
    );
}

/// `scripts/cluster/simulate.sh MODE` with the test binary and a short run into `out`.
fn simulate(mode: &str, model: &Path, out: &Path) {
    let run = Command::new("bash")
        .arg(workspace_root().join("scripts/cluster/simulate.sh"))
        .arg(mode)
        .current_dir(workspace_root())
        .env("EVAL", env!("CARGO_BIN_EXE_eval"))
        .env("EVAL_ARGS", ifeval_args(model))
        .env("OUT", out)
        .output()
        .unwrap();
    succeeded(&format!("simulate.sh {mode}"), run);
}

#[test]
fn ifeval_split_eight_ways_by_slurm_or_kubernetes_merges_into_the_single_run() {
    let Some(model) = real_model_for_tests() else {
        return;
    };
    let root = scratch_dir("shard_ifeval");
    let single = root.join("single");
    succeeded(
        "the unsharded run",
        eval()
            .arg("ifeval")
            .args(ifeval_args(&model).split(' '))
            .arg("--output-dir")
            .arg(&single)
            .output()
            .unwrap(),
    );
    for mode in ["slurm", "kubernetes"] {
        let out = root.join(mode);
        simulate(mode, &model, &out);
        assert!(out.join("shard-7-of-8/responses.jsonl").is_file());
        assert_same_ifeval(&single, &out);
    }

    // A shard whose responses stop short is refused by name, and nothing is written.
    let shards: Vec<PathBuf> = (0..8)
        .map(|i| root.join(format!("slurm/shard-{i}-of-8")))
        .collect();
    let short = root.join("short/shard-5-of-8");
    copy_dir(&shards[5], &short);
    let log = short.join("responses.jsonl");
    let text = fs::read_to_string(&log).unwrap();
    fs::write(
        &log,
        text.lines()
            .take(4)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let mut set = shards.clone();
    set[5] = short;
    let refused = root.join("refused");
    let err = failed("unfinished", merge(&set, &refused));
    assert!(
        err.contains("shard 5/8")
            && err.contains("is unfinished: 1 of its 5 prompts have no response"),
        "{err}"
    );
    assert!(!refused.exists());
}

fn perplexity(model: &Path, out: &Path, shard: Option<&str>) -> Command {
    let mut cmd = eval();
    cmd.arg("perplexity")
        .args(model_args(model).split(' '))
        .args(["--chunks", "8", "--output-dir"])
        .arg(out);
    if let Some(shard) = shard {
        cmd.args(["--shard", shard]);
    }
    cmd
}

fn results(dir: &Path) -> ResultsFile {
    serde_json::from_str(&fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn merge(dirs: &[PathBuf], out: &Path) -> Output {
    eval()
        .arg("merge")
        .args(dirs)
        .arg("--output-dir")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn perplexity_in_four_shards_merges_exactly_and_bad_sets_are_refused() {
    let Some(model) = real_model_for_tests() else {
        return;
    };
    let root = scratch_dir("shard_perplexity");
    let single = root.join("single");
    succeeded(
        "unsharded",
        perplexity(&model, &single, None).output().unwrap(),
    );
    let sharded = root.join("sharded");
    let children: Vec<_> = (0..4)
        .map(|i| {
            perplexity(&model, &sharded, Some(&format!("{i}/4")))
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        succeeded("a shard", child.wait_with_output().unwrap());
    }
    let shard = |i: usize| sharded.join(format!("shard-{i}-of-4"));
    assert_eq!(results(&shard(1)).result.n_chunks, 2);
    succeeded("merge", merge(std::slice::from_ref(&sharded), &sharded));

    // Every chunk's NLLs, the PPL and its error are the unsharded run's, to the bit.
    let (a, b) = (results(&single).result, results(&sharded).result);
    assert_eq!((a.n_chunks, &a.ppl), (b.n_chunks, &b.ppl));
    assert_eq!((a.n_tokens, a.n_chunks_max), (b.n_tokens, b.n_chunks_max));
    for name in ["chunks.jsonl", "run.json"] {
        assert_eq!(
            fs::read(single.join(name)).unwrap(),
            fs::read(sharded.join(name)).unwrap(),
            "{name}"
        );
    }

    // Bad sets: an error naming the shard, and nothing written.
    let out = root.join("refused");
    let shards: Vec<PathBuf> = (0..4).map(shard).collect();
    let err = failed("missing", merge(&shards[..3], &out));
    assert!(err.contains("shard 3/4 is missing"), "{err}");
    let copy = root.join("copy/shard-2-of-4");
    copy_dir(&shard(2), &copy);
    let err = failed(
        "duplicated",
        merge(&[shards.clone(), vec![copy]].concat(), &out),
    );
    assert!(err.contains("shard 2/4 is given twice"), "{err}");
    let other = root.join("other/shard-1-of-4");
    copy_dir(&shard(1), &other);
    let settings = other.join("run.json");
    let text = fs::read_to_string(&settings).unwrap();
    fs::write(&settings, text.replace("\"n_ctx\": 512", "\"n_ctx\": 256")).unwrap();
    let mut mixed = shards.clone();
    mixed[1] = other.clone();
    let err = failed("mismatched", merge(&mixed, &out));
    assert!(
        err.contains("shard 1/4")
            && err.contains("not a shard of the same run")
            && err.contains("n_ctx: 512 → 256"),
        "{err}"
    );
    let unfinished = root.join("unfinished/shard-3-of-4");
    copy_dir(&shard(3), &unfinished);
    let log = unfinished.join("chunks.jsonl");
    let first_line = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned()
        + "\n";
    fs::write(&log, first_line).unwrap();
    mixed = shards.clone();
    mixed[3] = unfinished;
    let err = failed("unfinished", merge(&mixed, &out));
    assert!(
        err.contains("shard 3/4") && err.contains("is unfinished: 1 of its 2 chunks"),
        "{err}"
    );
    assert!(!out.exists(), "a refused merge wrote {}", out.display());
    // An output folder holding another run is refused too.
    let err = failed("foreign output", merge(&shards, &shard(0)));
    assert!(err.contains("holds another run"), "{err}");
}
