//! `gemma bench`: the real model's prefill, decode, batched decode and time to first token on
//! fixed prompts, with peak RSS and resident weight bytes.

use burn::module::Module;
use serde::Serialize;
use std::time::Instant;

use engine::{GenerationConfig, generate_batch};
use model::gemma3::Gemma3;
use model::host;
use model::tokenizer::GemmaTokenizer;

#[derive(Clone, Debug, Serialize)]
pub struct BenchConfig {
    pub prefill_tokens: usize,
    pub decode_tokens: usize,
    pub batch_sizes: Vec<usize>,
    pub repeats: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            prefill_tokens: 512,
            decode_tokens: 64,
            batch_sizes: vec![8],
            repeats: 3,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub prefill_tok_s: f64,
    /// Short prompt (16 tokens) to its first generated token.
    pub ttft_ms: f64,
    pub decode_tok_s: f64,
    /// (batch size, aggregate decode tok/s)
    pub batched_decode_tok_s: Vec<(usize, f64)>,
    pub weight_bytes: usize,
    pub peak_rss_bytes: Option<usize>,
    pub threads: usize,
    /// The packed matmul kernel (`scalar`, `avx2`, `avx512`), if any weight is packed.
    pub packed_kernel: Option<&'static str>,
}

/// A fixed, tokenizer-independent-length text: repeated prose cut to `n` tokens.
pub fn fixed_prompt(tok: &GemmaTokenizer, n: usize) -> anyhow::Result<Vec<u32>> {
    let para = "The lighthouse keeper climbed the spiral stairs each evening, trimmed the wick, and watched the ships pass along the rocky coast while the wind carried salt and the cries of gulls. ";
    let mut ids = tok.encode_prompt(&para.repeat(n / 30 + 2))?;
    ids.truncate(n);
    Ok(ids)
}

/// Median of `repeats` runs of `f` (seconds).
fn median_secs(repeats: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

pub fn run(model: &Gemma3, tok: &GemmaTokenizer, cfg: &BenchConfig) -> anyhow::Result<BenchReport> {
    let device = model.device();
    let long = fixed_prompt(tok, cfg.prefill_tokens)?;
    let short = fixed_prompt(tok, 16)?;
    let prefill = |ids: &[u32]| -> anyhow::Result<()> {
        let mut cache = model.new_cache(1);
        let hidden = model.forward(host::tokens(ids, 1, &device), &mut cache);
        host::to_vec(model.last_logits(hidden)).map(|_| ())
    };
    prefill(&short)?; // warm-up (kernel compilation on GPU backends)
    let prefill_secs = median_secs(cfg.repeats, || prefill(&long))?;
    let ttft_secs = median_secs(cfg.repeats, || prefill(&short))?;

    let decode_cfg = GenerationConfig {
        max_new_tokens: cfg.decode_tokens,
        stop_ids: vec![],
        ..Default::default()
    };
    let decode = |b: usize| -> anyhow::Result<f64> {
        let prompts = vec![short.clone(); b];
        let (_, stats) = generate_batch(model, None, &prompts, &decode_cfg, |_, _| {})?;
        Ok(stats.decode_tok_s())
    };
    let decode_tok_s = decode(1)?;
    let batched = cfg
        .batch_sizes
        .iter()
        .map(|&b| Ok((b, decode(b)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(BenchReport {
        prefill_tok_s: long.len() as f64 / prefill_secs,
        ttft_ms: ttft_secs * 1e3,
        decode_tok_s,
        batched_decode_tok_s: batched,
        weight_bytes: weight_bytes(model),
        peak_rss_bytes: peak_rss_bytes(),
        // rayon's pool runs the CPU backends and the packed kernels (`gemma bench --threads`).
        threads: rayon::current_num_threads(),
        packed_kernel: if model.is_packed() {
            Some(kernels::packed::Kernel::selected()?.name())
        } else {
            None
        },
    })
}

/// Bytes held by the model's parameters, packed copies included.
pub fn weight_bytes(model: &Gemma3) -> usize {
    model.num_params() * model.dtype().size() + model.packed_bytes()
}

/// The process's peak resident set (Linux `VmHWM`).
pub fn peak_rss_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace()
        .nth(1)?
        .parse::<usize>()
        .ok()
        .map(|kb| kb * 1024)
}
