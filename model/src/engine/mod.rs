//! The generation engine: continuous batching over one preallocated cache.
//!
//! A [`Scheduler`] keeps up to `max_seqs` sequences in flight, one cache row each. Every step
//! decodes one token for every running sequence in one batched forward. A finished sequence's
//! row goes at once to the next queued request, whose prompt is prefilled in a one-row cache in
//! chunks of at most `prefill_chunk` tokens (at most one chunk per step, so the running
//! sequences never wait long) and then copied into the free row. Rows sit at their own
//! positions, so a sequence's tokens do not depend on its neighbours, nor on when it arrived.

mod scheduler;
mod sequence;

pub use scheduler::Scheduler;

use serde::{Deserialize, Serialize};

use crate::gemma3::Gemma3;
use crate::generate::{Generation, GenerationConfig};
use crate::tokenizer::GemmaTokenizer;

/// How many sequences run together, and how a prompt is fed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineConfig {
    pub max_seqs: usize,
    pub prefill_chunk: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            max_seqs: 16,
            prefill_chunk: 512,
        }
    }
}

/// One prompt to answer, with its own decoding settings.
#[derive(Clone, Debug)]
pub struct Request {
    /// The caller's name for it; events carry it.
    pub id: u64,
    pub prompt: Vec<u32>,
    pub config: GenerationConfig,
}

/// What the engine reports as it runs.
#[derive(Debug)]
pub enum Event<'a> {
    /// The request's prefill began.
    Started { id: u64 },
    /// A token was chosen; `logits` are the model's, before any sampling filter.
    Token {
        id: u64,
        token: u32,
        logits: &'a [f32],
    },
    /// The request is done (a stop id or string, or its token limit).
    Finished { id: u64, generation: Generation },
}

/// Totals of a run.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct EngineStats {
    pub requests: usize,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    /// Tokens chosen by decode steps (each sequence's first comes from its prefill).
    pub decode_tokens: usize,
    /// Seconds in prefill forwards, and in decode steps.
    pub prefill_secs: f64,
    pub decode_secs: f64,
    pub decode_steps: usize,
    /// The largest the shared cache grew, in bytes.
    pub peak_cache_bytes: usize,
}

impl EngineStats {
    /// Generated tokens per second of the whole run.
    pub fn tokens_per_sec(&self) -> f64 {
        self.generated_tokens as f64 / (self.prefill_secs + self.decode_secs).max(1e-9)
    }

    /// Decode throughput over all rows.
    pub fn decode_tok_s(&self) -> f64 {
        self.decode_tokens as f64 / self.decode_secs.max(1e-9)
    }

    pub fn prefill_tok_s(&self) -> f64 {
        self.prompt_tokens as f64 / self.prefill_secs.max(1e-9)
    }
}

/// Answers every request, `cfg.max_seqs` at a time, reporting to `on_event` as it goes. Every
/// request is checked before any is run.
pub fn run(
    model: &Gemma3,
    tokenizer: Option<&GemmaTokenizer>,
    cfg: EngineConfig,
    requests: impl IntoIterator<Item = Request>,
    mut on_event: impl FnMut(Event) -> anyhow::Result<()>,
) -> anyhow::Result<EngineStats> {
    let mut scheduler = Scheduler::new(model, tokenizer, cfg)?;
    for request in requests {
        scheduler.submit(request)?;
    }
    while !scheduler.is_idle() {
        scheduler.step(&mut on_event)?;
    }
    Ok(scheduler.stats())
}
