//! What the engine takes and gives: its settings, requests, decoding settings, events, results
//! and totals. Every other module of the engine uses these; this one uses none of them.

use serde::{Deserialize, Serialize};

use model::tokenizer::STOP_IDS;

use crate::sampling::SamplingConfig;

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
