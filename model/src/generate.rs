//! Autoregressive generation with the KV cache: one prompt or a left-padded batch.

use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::time::Instant;

use crate::gemma3::Gemma3;
use crate::host;
use crate::sampling::{Sampler, SamplingConfig};
use crate::tokenizer::{GemmaTokenizer, PAD_ID, STOP_IDS};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenerationConfig {
    pub max_new_tokens: usize,
    pub sampling: SamplingConfig,
    /// Token ids that end a sequence (kept in the output).
    pub stop_ids: Vec<u32>,
    /// Texts that end a sequence once they appear in the decoded output (needs a tokenizer).
    pub stop_strings: Vec<String>,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        Self {
            max_new_tokens: 256,
            sampling: SamplingConfig::greedy(),
            stop_ids: STOP_IDS.to_vec(),
            stop_strings: vec![],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    StopId,
    StopString,
    MaxNewTokens,
}

#[derive(Clone, Debug, Serialize)]
pub struct Generation {
    /// Generated ids, including a stop id if one ended the sequence.
    pub tokens: Vec<u32>,
    pub stop_reason: StopReason,
}

/// Timings of one (batched) run.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct GenerationStats {
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    pub prefill_secs: f64,
    pub decode_secs: f64,
}

impl GenerationStats {
    pub fn prefill_tok_s(&self) -> f64 {
        self.prompt_tokens as f64 / self.prefill_secs.max(1e-9)
    }
    /// Decode throughput over all rows, counting the tokens after the first of each row.
    pub fn decode_tok_s(&self) -> f64 {
        self.generated_tokens as f64 / self.decode_secs.max(1e-9)
    }
}

/// Generates for every prompt of `prompts` together (left-padded); `on_token(row, id)` sees each
/// new token as it is chosen. Rows stop independently; the batch stops when all have.
pub fn generate_batch(
    model: &Gemma3,
    tokenizer: Option<&GemmaTokenizer>,
    prompts: &[Vec<u32>],
    cfg: &GenerationConfig,
    mut on_token: impl FnMut(usize, u32),
) -> anyhow::Result<(Vec<Generation>, GenerationStats)> {
    if prompts.is_empty() || prompts.iter().any(Vec::is_empty) {
        bail!("every prompt needs at least one token");
    }
    if !cfg.stop_strings.is_empty() && tokenizer.is_none() {
        bail!("stop strings need a tokenizer");
    }
    let longest = prompts.iter().map(Vec::len).max().unwrap_or(0);
    let context = model.config.max_position_embeddings;
    if longest + cfg.max_new_tokens > context {
        bail!(
            "prompt of {longest} tokens plus {} new tokens exceeds the context of {context} tokens",
            cfg.max_new_tokens
        );
    }
    let device = model.device();
    let b = prompts.len();
    let pads: Vec<usize> = prompts.iter().map(|p| longest - p.len()).collect();
    let mut padded = Vec::with_capacity(b * longest);
    for (p, &pad) in prompts.iter().zip(&pads) {
        padded.extend(std::iter::repeat_n(PAD_ID, pad));
        padded.extend_from_slice(p);
    }
    let mut samplers: Vec<Sampler> = (0..b)
        .map(|i| {
            Sampler::new(SamplingConfig {
                seed: cfg.sampling.seed.wrapping_add(i as u64),
                ..cfg.sampling.clone()
            })
        })
        .collect();
    let mut histories: Vec<Vec<u32>> = prompts.to_vec();
    let mut outs: Vec<Generation> = (0..b)
        .map(|_| Generation {
            tokens: vec![],
            stop_reason: StopReason::MaxNewTokens,
        })
        .collect();
    let mut done = vec![false; b];
    let mut stats = GenerationStats {
        prompt_tokens: prompts.iter().map(Vec::len).sum(),
        ..Default::default()
    };

    let mut cache = model.new_cache(pads);
    let mut input = host::tokens(&padded, b, &device);
    let start = Instant::now();
    for step in 0..cfg.max_new_tokens {
        let hidden = model.forward(input, &mut cache);
        let logits = host::to_vec(model.last_logits(hidden))?;
        let vocab = logits.len() / b;
        let mut next = Vec::with_capacity(b);
        for (row, mut row_logits) in logits.chunks_exact(vocab).map(<[f32]>::to_vec).enumerate() {
            if done[row] {
                next.push(PAD_ID);
                continue;
            }
            let id = samplers[row].sample(&mut row_logits, &histories[row]);
            histories[row].push(id);
            outs[row].tokens.push(id);
            on_token(row, id);
            if cfg.stop_ids.contains(&id) {
                (done[row], outs[row].stop_reason) = (true, StopReason::StopId);
            } else if let Some(tok) = tokenizer.filter(|_| !cfg.stop_strings.is_empty()) {
                let text = tok.decode(&outs[row].tokens, false)?;
                if cfg.stop_strings.iter().any(|s| text.contains(s.as_str())) {
                    (done[row], outs[row].stop_reason) = (true, StopReason::StopString);
                }
            }
            next.push(id);
        }
        if step == 0 {
            stats.prefill_secs = start.elapsed().as_secs_f64();
        }
        if done.iter().all(|&d| d) {
            break;
        }
        input = host::tokens(&next, b, &device);
    }
    stats.decode_secs = start.elapsed().as_secs_f64() - stats.prefill_secs;
    // The first token of each row comes from the prefill; the rest are decode steps.
    stats.generated_tokens = outs.iter().map(|g| g.tokens.len().saturating_sub(1)).sum();
    Ok((outs, stats))
}

/// Generates for one prompt; `on_token` sees each new id as it is chosen.
pub fn generate(
    model: &Gemma3,
    tokenizer: Option<&GemmaTokenizer>,
    prompt: &[u32],
    cfg: &GenerationConfig,
    mut on_token: impl FnMut(u32),
) -> anyhow::Result<(Generation, GenerationStats)> {
    let (mut outs, stats) = generate_batch(model, tokenizer, &[prompt.to_vec()], cfg, |_, id| {
        on_token(id)
    })?;
    Ok((outs.remove(0), stats))
}
