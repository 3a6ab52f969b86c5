//! llama.cpp through llama-cpp-python, on the same GGUF and token ids: `gemma bench
//! --vs-llama-cpp` (`scripts/llama_cpp_bench.py`, the same thread count, run from the same
//! invocation so that the ratios compare like with like on a noisy machine), and its logits as the
//! oracle of the as-shipped tests (`scripts/llama_cpp_logits.py`).

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
    let request = serde_json::json!({"prefill_ids": prefill_ids, "short_ids": short_ids});
    let args = [
        "--threads".into(),
        threads.to_string(),
        "--decode-tokens".into(),
        decode_tokens.to_string(),
        "--repeats".into(),
        repeats.to_string(),
    ];
    let line = match python("llama_cpp_bench.py", gguf, &args, request)? {
        Ok(line) => line,
        Err(note) => return Ok(Err(note)),
    };
    Ok(Ok(serde_json::from_str(&line).with_context(|| {
        format!("llama_cpp_bench.py: unexpected output {line:?}")
    })?))
}

/// How a prompt goes into llama.cpp: its numbers depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// The whole prompt as one batch: llama.cpp's prefill kernels.
    Batch,
    /// A token per step: its decode kernels.
    OneAtATime,
}

/// llama.cpp's logits at every position of each prompt of token ids, `[positions × vocab]` row
/// after row (`scripts/llama_cpp_logits.py`, through files in `out`); `Ok(Err(note))` when
/// llama-cpp-python is not installed.
pub fn logits(
    gguf: &Path,
    threads: usize,
    prompts: &[(String, Vec<u32>)],
    feed: Feed,
    out: &Path,
) -> anyhow::Result<Result<Vec<Vec<f32>>, String>> {
    let request = serde_json::json!({
        "prompts": prompts.iter().map(|(name, ids)| serde_json::json!({"name": name, "ids": ids}))
            .collect::<Vec<_>>()
    });
    let mut args = vec![
        "--threads".into(),
        threads.to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    if feed == Feed::OneAtATime {
        args.push("--one-at-a-time".into());
    }
    let line = match python("llama_cpp_logits.py", gguf, &args, request)? {
        Ok(line) => line,
        Err(note) => return Ok(Err(note)),
    };
    let report: serde_json::Value = serde_json::from_str(&line)
        .with_context(|| format!("llama_cpp_logits.py: unexpected output {line:?}"))?;
    let vocab = report["n_vocab"]
        .as_u64()
        .with_context(|| format!("llama_cpp_logits.py: no n_vocab in {line:?}"))?
        as usize;
    let rows = prompts.iter().map(|(name, ids)| {
        let file = out.join(format!("{name}.f32"));
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let want = ids.len() * vocab * 4;
        if bytes.len() != want {
            bail!(
                "{}: {} bytes, expected {want} ({} positions × {vocab} f32 logits)",
                file.display(),
                bytes.len(),
                ids.len()
            );
        }
        Ok(bytes
            .as_chunks::<4>()
            .0
            .iter()
            .map(|b| f32::from_le_bytes(*b))
            .collect())
    });
    Ok(Ok(rows.collect::<anyhow::Result<_>>()?))
}

/// Runs `scripts/<script>` on `gguf` with `args` and `request` as JSON on stdin: its last line of
/// output, or `Err(note)` when llama-cpp-python is not installed (exit code 3).
fn python(
    script: &str,
    gguf: &Path,
    args: &[String],
    request: serde_json::Value,
) -> anyhow::Result<Result<String, String>> {
    if gguf.extension().is_none_or(|e| e != "gguf") {
        bail!("llama.cpp needs a .gguf model, got {}", gguf.display());
    }
    let root = crate::paths::workspace_root();
    let script = root.join("scripts").join(script);
    // scripts/install-llama-cpp-tools.sh installs into .cache; a package elsewhere works too.
    let mut pythonpath = root.join(".cache/llama-cpp-python").into_os_string();
    if let Some(existing) = std::env::var_os("PYTHONPATH") {
        pythonpath.push(":");
        pythonpath.push(existing);
    }
    let mut child = Command::new("python3")
        .arg(&script)
        .args(["--model", &gguf.display().to_string()])
        .args(args)
        .env("PYTHONPATH", pythonpath)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("running python3 {}", script.display()))?;
    child
        .stdin
        .take()
        .context("python stdin")?
        .write_all(request.to_string().as_bytes())?;
    let out = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or("").to_string();
    if out.status.code() == Some(3) {
        let why: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        return Ok(Err(why["error"]
            .as_str()
            .unwrap_or("llama_cpp not importable")
            .to_string()));
    }
    if !out.status.success() {
        bail!("{} failed ({}): {stdout}", script.display(), out.status);
    }
    Ok(Ok(line))
}
