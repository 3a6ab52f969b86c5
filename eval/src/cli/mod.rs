//! The `eval` subcommands: their options and what they print.

pub mod ifeval;
pub mod perplexity;
pub mod score;

use anyhow::Result;
use clap::ValueEnum;
use model::cli::{Loaded, ModelArgs};
use serde_json::{Map, Value, json};

use crate::provenance;

/// What identifies a model run, for the resume check (the model's hash, not its path, so a
/// moved file still resumes), and the report metadata shared by the commands that run the
/// model.
fn describe(
    command: &str,
    args: &ModelArgs,
    loaded: &Loaded,
) -> Result<(Value, Map<String, Value>)> {
    let model = provenance::model_identity(&loaded.model_path)?;
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
        "backend": loaded.backend,
        "dtype": loaded.dtype,
        "packed": packed,
    });
    let mut meta = Map::new();
    meta.insert("command".into(), command.into());
    meta.insert("model".into(), model);
    meta.insert(
        "tokenizer".into(),
        loaded.tokenizer_path.display().to_string().into(),
    );
    meta.insert("backend".into(), loaded.backend.name().into());
    meta.insert("dtype".into(), loaded.dtype.name().into());
    meta.insert("packed".into(), identity["packed"].clone());
    meta.insert("adapter".into(), adapter.into());
    meta.insert("load_secs".into(), loaded.load_secs.into());
    if let Value::Object(software) = provenance::software() {
        meta.extend(software);
    }
    Ok((identity, meta))
}
