//! The `eval` subcommands: their options and what they print.

pub mod ifeval;
pub mod merge;
pub mod perplexity;
pub mod score;

use anyhow::Result;
use clap::ValueEnum;
use gemma::args::{ModelArgs, ModelFiles};
use serde_json::{Map, Value, json};

use crate::provenance;

/// What identifies a model run, for the resume check (the model's hash, not its path, so a
/// moved file still resumes), and the report metadata shared by the commands that run the
/// model. Reads the files' bytes but loads nothing, so it comes before the expensive work.
fn describe(
    command: &str,
    args: &ModelArgs,
    files: &ModelFiles,
) -> Result<(Value, Map<String, Value>)> {
    let model = provenance::model_identity(&files.model_path)?;
    // `--packed` changes the numbers; `Loaded` does not record it.
    let packed = args
        .packed
        .and_then(|p| p.to_possible_value())
        .map(|v| v.get_name().to_owned());
    let adapter = args
        .adapter
        .as_deref()
        .map(provenance::model_identity)
        .transpose()?;
    let identity = json!({
        "model_sha256": model["sha256"],
        "adapter_sha256": adapter.as_ref().map(|a| a["sha256"].clone()),
        "backend": args.backend,
        "dtype": args.dtype,
        "packed": packed,
    });
    let mut meta = Map::new();
    meta.insert("command".into(), command.into());
    meta.insert("host".into(), provenance::host().into());
    meta.insert("model".into(), model);
    meta.insert(
        "tokenizer".into(),
        files.tokenizer_path.display().to_string().into(),
    );
    meta.insert("backend".into(), args.backend.name().into());
    meta.insert("dtype".into(), args.dtype.name().into());
    meta.insert("packed".into(), identity["packed"].clone());
    meta.insert("adapter".into(), adapter.into());
    if let Value::Object(software) = provenance::software() {
        meta.extend(software);
    }
    Ok((identity, meta))
}
