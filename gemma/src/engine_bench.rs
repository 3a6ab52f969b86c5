//! `gemma bench --engine`: one fixed workload through the generation engine at several
//! `max_seqs`, the first IFEval prompts in the chat template with stop ids honoured, and
//! llama.cpp's `llama-batched-bench` on the same GGUF and threads when it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use serde::Serialize;

use engine::GenerationConfig;
use engine::{self, EngineConfig, Request};
use model::chat_template::{self, Message};
use model::gemma3::Gemma3;
use model::tokenizer::GemmaTokenizer;

/// The workload's prompts: the first `n` of `<data-dir>/data/ifeval/input_data.jsonl`, each as
/// one chat-template user turn with one `<bos>` (as `eval ifeval` feeds them).
pub fn ifeval_prompts(
    data_dir: &Path,
    tok: &GemmaTokenizer,
    n: usize,
) -> anyhow::Result<Vec<Vec<u32>>> {
    let path = data_dir.join("data/ifeval/input_data.jsonl");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut prompts = Vec::with_capacity(n);
    for (i, line) in text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .enumerate()
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not JSON", path.display(), i + 1))?;
        let prompt = v["prompt"]
            .as_str()
            .with_context(|| format!("{}:{}: no \"prompt\" string", path.display(), i + 1))?;
        let chat = chat_template::render(&[Message::new("user", prompt)], true)?;
        prompts.push(tok.encode_prompt(&chat)?);
    }
    if prompts.len() < n {
        bail!(
            "{}: {} prompts, the bench needs {n}",
            path.display(),
            prompts.len()
        );
    }
    Ok(prompts)
}

#[derive(Clone, Debug, Serialize)]
pub struct EngineRow {
    pub max_seqs: usize,
    pub generated_tokens: usize,
    pub wall_secs: f64,
    /// Generated tokens over the wall time (prefills included).
    pub tok_s: f64,
    pub peak_cache_bytes: usize,
}

/// Runs every prompt with `max_new_tokens` greedy tokens at each `max_seqs`.
pub fn run(
    model: &Gemma3,
    prompts: &[Vec<u32>],
    max_new_tokens: usize,
    max_seqs: &[usize],
) -> anyhow::Result<Vec<EngineRow>> {
    let cfg = GenerationConfig {
        max_new_tokens,
        ..Default::default()
    };
    max_seqs
        .iter()
        .map(|&m| {
            let requests = prompts.iter().enumerate().map(|(i, p)| Request {
                id: i as u64,
                prompt: p.clone(),
                config: cfg.clone(),
            });
            let engine_cfg = EngineConfig {
                max_seqs: m,
                ..EngineConfig::default()
            };
            let start = Instant::now();
            let stats = engine::run(model, None, engine_cfg, requests, |_| Ok(()))?;
            let wall_secs = start.elapsed().as_secs_f64();
            eprintln!(
                "max_seqs {m}: {} tokens in {wall_secs:.1} s",
                stats.generated_tokens
            );
            Ok(EngineRow {
                max_seqs: m,
                generated_tokens: stats.generated_tokens,
                wall_secs,
                tok_s: stats.generated_tokens as f64 / wall_secs,
                peak_cache_bytes: stats.peak_cache_bytes,
            })
        })
        .collect()
}

/// One line of `llama-batched-bench`'s table.
#[derive(Clone, Debug, Serialize)]
pub struct LlamaBatchedRow {
    pub parallel: usize,
    pub prompt_tokens: usize,
    pub new_tokens: usize,
    pub total_secs: f64,
    /// `parallel · new_tokens` over the total time (prompt processing included).
    pub tok_s: f64,
}

/// `llama-batched-bench`, from `scripts/install-llama-cpp-tools.sh`'s folder or the `PATH`.
pub fn llama_batched_bench_binary() -> Option<PathBuf> {
    let local = crate::paths::workspace_root().join(".cache/llama.cpp/bin/llama-batched-bench");
    if local.exists() {
        return Some(local);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("llama-batched-bench"))
        .find(|p| p.exists())
}

/// Runs llama.cpp's batched bench: `parallel` sequences of `prompt_tokens` then `new_tokens`
/// each, for every value of `parallel`.
pub fn llama_batched_bench(
    binary: &Path,
    gguf: &Path,
    threads: usize,
    prompt_tokens: usize,
    new_tokens: usize,
    parallel: &[usize],
) -> anyhow::Result<Vec<LlamaBatchedRow>> {
    let npl: Vec<String> = parallel.iter().map(usize::to_string).collect();
    let most = parallel.iter().max().copied().unwrap_or(1);
    let out = Command::new(binary)
        .arg("-m")
        .arg(gguf)
        .args(["-t", &threads.to_string(), "-tb", &threads.to_string()])
        .args([
            "-c",
            &(most * (prompt_tokens + new_tokens) + 64).to_string(),
        ])
        .args([
            "-b",
            "2048",
            "-ub",
            "512",
            "-npp",
            &prompt_tokens.to_string(),
        ])
        .args(["-ntg", &new_tokens.to_string(), "-npl", &npl.join(",")])
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{} failed ({}): {}",
            binary.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_batched_table(&stdout)
        .with_context(|| format!("{}: unexpected output:\n{stdout}", binary.display()))
}

/// The rows of the Markdown table `|  PP |  TG |  B | N_KV | T_PP s | S_PP t/s | T_TG s |
/// S_TG t/s | T s | S t/s |`.
fn parse_batched_table(text: &str) -> anyhow::Result<Vec<LlamaBatchedRow>> {
    let rows: Vec<LlamaBatchedRow> = text
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            let num = |i: usize| cells.get(i)?.parse::<f64>().ok();
            let (pp, tg, b, total) = (num(0)?, num(1)?, num(2)?, num(8)?);
            Some(LlamaBatchedRow {
                parallel: b as usize,
                prompt_tokens: pp as usize,
                new_tokens: tg as usize,
                total_secs: total,
                tok_s: b * tg / total,
            })
        })
        .collect();
    if rows.is_empty() {
        bail!("no result rows");
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_llama_batched_bench_rows() {
        let text = "\
|    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s |      T s |    S t/s |
|-------|--------|------|--------|----------|----------|----------|----------|----------|----------|
|    80 |    256 |    8 |   2688 |    1.200 |   533.33 |   10.000 |   204.80 |   11.200 |   240.00 |
";
        let rows = parse_batched_table(text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].parallel, rows[0].new_tokens), (8, 256));
        assert!((rows[0].tok_s - 8.0 * 256.0 / 11.2).abs() < 1e-9);
    }
}
