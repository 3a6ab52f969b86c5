//! `experiments merge`: joins the shards of a study run with `--shard I/N` into the tables,
//! CSV, report and plots one run writes (the per-variant run folders stay in the shards).

use std::path::Path;

use anyhow::{Context, Result, bail};
use eval::ifeval::io::read_jsonl_lines;
use eval::merge::{ShardSet, write_jsonl};
use serde_json::Value;

use crate::record::{Status, VariantResult};
use crate::report;
use crate::sweep::{RESULTS_FILE, TASK};

/// Merges `set` into `out`: `results.jsonl` (one line per variant, in the study's order),
/// `results.json`, `results.csv`, `report.md` and the plots.
pub fn merge(set: &ShardSet, out: &Path) -> Result<Vec<VariantResult>> {
    if set.task != TASK {
        bail!(
            "the shards are of `eval {}`: merge them with `eval merge`",
            set.task
        );
    }
    let names: Vec<String> = serde_json::from_value(set.work_field("variants")?.clone())
        .context("the shards' variant list")?;
    let mut results: Vec<Option<VariantResult>> = vec![None; names.len()];
    let mut metadata = Vec::new();
    for folder in &set.shards {
        let path = folder.dir.join(RESULTS_FILE);
        let lines = read_jsonl_lines::<VariantResult>(&path)
            .with_context(|| format!("{}: cannot read its results; rerun it", folder.name()))?;
        for (line, result) in lines {
            let Some(k) = names.iter().position(|n| *n == result.variant.name) else {
                bail!(
                    "{}:{line}: variant {} is not in the study",
                    path.display(),
                    result.variant.name
                );
            };
            if !folder.shard().owns(k) {
                bail!(
                    "{}:{line}: variant {} is not {}'s",
                    path.display(),
                    names[k],
                    folder.name()
                );
            }
            // As a rerun does: the last success is kept; a failure only while nothing succeeded.
            let keep = results[k]
                .as_ref()
                .is_none_or(|old| old.status == Status::Failed || result.status != Status::Failed);
            if keep {
                results[k] = Some(result);
            }
        }
        if let Some(k) = (0..names.len()).find(|&k| folder.shard().owns(k) && results[k].is_none())
        {
            bail!(
                "{} is unfinished: variant {} has no result; rerun that shard",
                folder.name(),
                names[k]
            );
        }
        let file: Value = folder.read_final("results.json")?;
        metadata.push(file["metadata"].clone());
    }
    let results: Vec<VariantResult> = results.into_iter().flatten().collect();
    let metadata = Value::Object(set.metadata(&metadata));

    set.write_settings(out)?;
    write_jsonl(out, RESULTS_FILE, &results)?;
    report::write(out, &results, metadata)?;
    Ok(results)
}
