//! Merging `eval perplexity` shards: every chunk's record, back in chunk order, summarized as a
//! single run summarizes them (so PPL, its error and the KL numbers are the unsharded ones).

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{ShardSet, write_jsonl};
use crate::ifeval::io::read_jsonl_lines;
use crate::perplexity::chunk::ChunkRecord;
use crate::perplexity::logits_file::scored_per_chunk;
use crate::perplexity::report::{self, ResultsFile};
use crate::perplexity::stats::{KldStats, PplStats};
use crate::perplexity::{CHUNKS_FILE, Pace, PerplexityResult, TASK};
use crate::progress;

const RESULTS_FILE: &str = "results.json";

/// Merges `set` into `out`: `chunks.jsonl` (in chunk order, as a single run writes it),
/// `results.json` and `report.md`. The merged pace adds up the shards' (`secs` is their sum).
pub fn merge(set: &ShardSet, out: &Path) -> Result<PerplexityResult> {
    if set.task != TASK {
        bail!("the shards are of `eval {}`, not `eval {TASK}`", set.task);
    }
    let n_chunks = set.work_field("chunks")?.as_u64().unwrap_or_default() as usize;
    let n_ctx = set.settings["n_ctx"].as_u64().unwrap_or_default() as usize;
    let all: Vec<usize> = (0..n_chunks).collect();
    let mut records: Vec<ChunkRecord> = Vec::new();
    let mut shard_results: Vec<ResultsFile> = Vec::new();
    for folder in &set.shards {
        let file: ResultsFile = folder.read_final(RESULTS_FILE)?;
        let compare = file.result.kld.is_some();
        let mine = folder.shard().select(&all);
        let log = folder.dir.join(CHUNKS_FILE);
        let lines = read_jsonl_lines::<ChunkRecord>(&log)
            .with_context(|| format!("{}: cannot read its chunks; rerun it", folder.name()))?;
        if lines.len() < mine.len() {
            bail!(
                "{} is unfinished: {} of its {} chunks are done; rerun that shard",
                folder.name(),
                lines.len(),
                mine.len()
            );
        }
        for ((line, record), &chunk) in lines.into_iter().zip(&mine) {
            if !record.fits(chunk, scored_per_chunk(n_ctx), compare) {
                bail!(
                    "{}:{line}: expected chunk {chunk} of {}",
                    log.display(),
                    folder.name()
                );
            }
            records.push(record);
        }
        shard_results.push(file);
    }
    records.sort_by_key(|r| r.chunk);
    let first = &shard_results[0].result;
    let paces: Vec<&Pace> = shard_results
        .iter()
        .map(|f| &f.result.this_invocation)
        .collect();
    let evaluated: usize = paces.iter().map(|p| p.chunks_evaluated).sum();
    let secs: f64 = paces.iter().map(|p| p.secs).sum();
    let result = PerplexityResult {
        n_ctx,
        n_tokens: first.n_tokens,
        n_chunks,
        n_chunks_max: first.n_chunks_max,
        ppl: PplStats::new(&records),
        kld: KldStats::new(&records),
        kld_top_k: first.kld_top_k,
        this_invocation: Pace {
            chunks_resumed: paces.iter().map(|p| p.chunks_resumed).sum(),
            chunks_evaluated: evaluated,
            secs,
            tokens_per_sec: progress::per_sec(evaluated * n_ctx, secs),
        },
    };
    let metadata: Vec<Value> = shard_results.into_iter().map(|f| f.metadata).collect();
    let metadata = Value::Object(set.metadata(&metadata));

    set.write_settings(out)?;
    write_jsonl(out, CHUNKS_FILE, &records)?;
    report::write(out, &result, metadata)?;
    Ok(result)
}
