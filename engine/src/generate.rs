//! One-call generation for a prompt or a few, on the engine ([`crate::scheduler`]).

use model::gemma3::Gemma3;
use model::tokenizer::GemmaTokenizer;

use crate::request::{EngineConfig, EngineStats, Event, Generation, GenerationConfig, Request};
use crate::sampling::SamplingConfig;
use crate::scheduler;

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
    let stats = scheduler::run(model, tokenizer, engine, requests, |event| {
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
