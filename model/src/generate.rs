//! Decoding settings and results, and one-call generation for a prompt or a few (on the
//! [`crate::engine`]).

use serde::{Deserialize, Serialize};

use crate::engine::{self, EngineConfig, EngineStats, Event, Request};
use crate::gemma3::Gemma3;
use crate::sampling::SamplingConfig;
use crate::tokenizer::{GemmaTokenizer, STOP_IDS};

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

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Generation {
    /// Generated ids, including a stop id if one ended the sequence.
    pub tokens: Vec<u32>,
    pub stop_reason: StopReason,
}

/// Generates for every prompt of `prompts` on the engine, all in flight together; `on_token(row,
/// id)` sees each new token as it is chosen. Row `i` samples with seed `seed + i`.
pub fn generate_batch(
    model: &Gemma3,
    tokenizer: Option<&GemmaTokenizer>,
    prompts: &[Vec<u32>],
    cfg: &GenerationConfig,
    mut on_token: impl FnMut(usize, u32),
) -> anyhow::Result<(Vec<Generation>, EngineStats)> {
    let requests = prompts.iter().enumerate().map(|(i, p)| Request {
        id: i as u64,
        prompt: p.clone(),
        config: GenerationConfig {
            sampling: SamplingConfig {
                seed: cfg.sampling.seed.wrapping_add(i as u64),
                ..cfg.sampling.clone()
            },
            ..cfg.clone()
        },
    });
    let engine = EngineConfig {
        max_seqs: prompts.len().max(1),
        ..EngineConfig::default()
    };
    let mut outs: Vec<Option<Generation>> = vec![None; prompts.len()];
    let stats = engine::run(model, tokenizer, engine, requests, |event| {
        match event {
            Event::Token { id, token, .. } => on_token(id as usize, token),
            Event::Finished { id, generation } => outs[id as usize] = Some(generation),
            Event::Started { .. } => {}
        }
        Ok(())
    })?;
    let outs = outs
        .into_iter()
        .map(|g| g.expect("every request finishes"))
        .collect();
    Ok((outs, stats))
}

/// Generates for one prompt; `on_token` sees each new id as it is chosen.
pub fn generate(
    model: &Gemma3,
    tokenizer: Option<&GemmaTokenizer>,
    prompt: &[u32],
    cfg: &GenerationConfig,
    mut on_token: impl FnMut(u32),
) -> anyhow::Result<(Generation, EngineStats)> {
    let (mut outs, stats) = generate_batch(model, tokenizer, &[prompt.to_vec()], cfg, |_, id| {
        on_token(id)
    })?;
    Ok((outs.remove(0), stats))
}
