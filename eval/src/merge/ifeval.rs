//! Merging `eval ifeval`/`eval ifbench` shards: the responses of every shard, checked against
//! the split of the input data, scored once as a single run scores them.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{ShardSet, write_file};
use crate::benchmark::Benchmark;
use crate::ifeval::io::{python_json, read_jsonl_lines};
use crate::ifeval::{InputExample, Report};
use crate::ifeval_run::{RESPONSES_FILE, ResponseRecord};
use crate::provenance::sha256_file;

/// The report file every finished shard holds.
const REPORT_FILE: &str = "report.json";

/// Merges `set` into `out`: `responses.jsonl` (in input order; a single run writes them in
/// the order they finish), `eval_results_{strict,loose}.jsonl`, `report.json` and `report.md`.
/// `input_data` overrides the prompts' path the shards recorded (it must hash the same).
pub fn merge(
    set: &ShardSet,
    benchmark: &Benchmark,
    input_data: Option<&Path>,
    out: &Path,
) -> Result<Report> {
    if set.task != benchmark.name() {
        bail!(
            "the shards are of `eval {}`, not `eval {}`",
            set.task,
            benchmark.name()
        );
    }
    let inputs = whole_inputs(set, benchmark, input_data)?;
    let mut records: HashMap<i64, ResponseRecord> = HashMap::new();
    let mut metadata = Vec::new();
    for folder in &set.shards {
        let mine = folder.shard().select(&inputs);
        records.extend(shard_responses(&folder.dir, &folder.name(), &mine)?);
        metadata.push(folder.read_final::<Report>(REPORT_FILE)?.metadata);
    }
    let records: Vec<ResponseRecord> = inputs
        .iter()
        .map(|i| {
            records
                .remove(&i.key)
                .expect("every shard's prompts were checked")
        })
        .collect();
    let responses: Vec<_> = records
        .iter()
        .map(ResponseRecord::response_example)
        .collect();
    let evaluation = benchmark.evaluate(&inputs, &responses)?;
    let mut meta = set.metadata(&metadata);
    meta.insert(
        "generated_tokens_all_prompts".into(),
        records
            .iter()
            .map(|r| r.generated_ids.len())
            .sum::<usize>()
            .into(),
    );
    let report = Report::new(&evaluation, Value::Object(meta));

    set.write_settings(out)?;
    let lines: String = records.iter().map(|r| python_json(r) + "\n").collect();
    write_file(out, RESPONSES_FILE, &lines)?;
    benchmark
        .write_results(out, &evaluation, &report)
        .with_context(|| format!("writing results to {}", out.display()))?;
    Ok(report)
}

/// The whole run's prompts, from the file the shards recorded (or `input_data`), checked by
/// hash and cut at the shards' `--limit`.
fn whole_inputs(
    set: &ShardSet,
    benchmark: &Benchmark,
    input_data: Option<&Path>,
) -> Result<Vec<InputExample>> {
    let recorded = set.work_field("input_data")?.as_str().unwrap_or_default();
    let path = input_data.unwrap_or(Path::new(recorded));
    let want = set.work_field("input_sha256")?;
    let have = sha256_file(path).with_context(|| {
        format!("the shards' prompts ({recorded}); pass --input-data if they moved")
    })?;
    if want.as_str() != Some(have.as_str()) {
        bail!(
            "{}: sha256 {have}, but the shards ran on {recorded} with sha256 {want}",
            path.display()
        );
    }
    let mut inputs = benchmark.read_inputs(path)?;
    inputs.truncate(
        set.work_field("limit")?
            .as_u64()
            .map_or(usize::MAX, |n| n as usize),
    );
    if Some(inputs.len() as u64) != set.work_field("prompts")?.as_u64() {
        bail!(
            "{}: {} prompts, but the shards split {}",
            path.display(),
            inputs.len(),
            set.work["prompts"]
        );
    }
    Ok(inputs)
}

/// A shard's responses, which must be exactly one for each of its prompts (`mine`).
fn shard_responses(
    dir: &Path,
    name: &str,
    mine: &[InputExample],
) -> Result<HashMap<i64, ResponseRecord>> {
    let path = dir.join(RESPONSES_FILE);
    let lines = read_jsonl_lines::<ResponseRecord>(&path)
        .with_context(|| format!("{name}: cannot read its responses; rerun that shard"))?;
    let prompts: HashMap<i64, &str> = mine.iter().map(|i| (i.key, i.prompt.as_str())).collect();
    let mut records = HashMap::new();
    for (line, record) in lines {
        let at = format!("{}:{line}", path.display());
        match prompts.get(&record.key) {
            None => bail!("{at}: key {} is not one of {name}'s prompts", record.key),
            Some(p) if *p != record.prompt => {
                bail!(
                    "{at}: key {} has another prompt than the input data",
                    record.key
                )
            }
            Some(_) => {}
        }
        if records.insert(record.key, record).is_some() {
            bail!("{at}: a key appears twice");
        }
    }
    let missing: Vec<i64> = mine
        .iter()
        .map(|i| i.key)
        .filter(|k| !records.contains_key(k))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{name} is unfinished: {} of its {} prompts have no response (keys {:?}{}); rerun that shard",
            missing.len(),
            mine.len(),
            &missing[..missing.len().min(5)],
            if missing.len() > 5 { ", …" } else { "" }
        );
    }
    Ok(records)
}
