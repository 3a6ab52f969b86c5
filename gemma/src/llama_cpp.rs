//! `gemma bench --vs-llama-cpp`: llama.cpp (through llama-cpp-python, `scripts/llama_cpp_bench.py`)
//! on the same GGUF, token ids and thread count, run from the same invocation so that the
//! ratios compare like with like on a noisy machine.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LlamaCppReport {
    pub llama_cpp_python: String,
    pub threads: usize,
    pub prefill_tok_s: f64,
    pub ttft_ms: f64,
    pub decode_tok_s: f64,
    pub peak_rss_bytes: usize,
}

/// Runs llama.cpp's side; `Ok(Err(note))` when llama-cpp-python is not installed.
pub fn run(
    gguf: &Path,
    threads: usize,
    prefill_ids: &[u32],
    short_ids: &[u32],
    decode_tokens: usize,
    repeats: usize,
) -> anyhow::Result<Result<LlamaCppReport, String>> {
    if gguf.extension().is_none_or(|e| e != "gguf") {
        bail!("--vs-llama-cpp needs a .gguf model, got {}", gguf.display());
    }
    let root = crate::paths::workspace_root();
    let script = root.join("scripts/llama_cpp_bench.py");
    // scripts/install-llama-cpp.sh installs into .cache; an installed package elsewhere works too.
    let mut pythonpath = root.join(".cache/llama-cpp-python").into_os_string();
    if let Some(existing) = std::env::var_os("PYTHONPATH") {
        pythonpath.push(":");
        pythonpath.push(existing);
    }
    let mut child = Command::new("python3")
        .arg(&script)
        .args([
            "--model",
            &gguf.display().to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .args([
            "--decode-tokens",
            &decode_tokens.to_string(),
            "--repeats",
            &repeats.to_string(),
        ])
        .env("PYTHONPATH", pythonpath)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("running python3 {}", script.display()))?;
    let request = serde_json::json!({"prefill_ids": prefill_ids, "short_ids": short_ids});
    child
        .stdin
        .take()
        .context("python stdin")?
        .write_all(request.to_string().as_bytes())?;
    let out = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or("");
    if out.status.code() == Some(3) {
        let why: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        return Ok(Err(why["error"]
            .as_str()
            .unwrap_or("llama_cpp not importable")
            .to_string()));
    }
    if !out.status.success() {
        bail!("{} failed ({}): {stdout}", script.display(), out.status);
    }
    Ok(Ok(serde_json::from_str(line).with_context(|| {
        format!("{}: unexpected output {line:?}", script.display())
    })?))
}
