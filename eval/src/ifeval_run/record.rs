//! One line of `responses.jsonl`: Google's `input_response_data` fields (`prompt`,
//! `response`) first, then what is needed to resume and to audit the generation.

use anyhow::Result;
use engine::{Generation, StopReason};
use model::GemmaTokenizer;
use serde::{Deserialize, Serialize};

use crate::ifeval::ResponseExample;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub prompt: String,
    pub response: String,
    /// The IFEval prompt key; a resumed run skips the keys already present.
    pub key: i64,
    pub prompt_tokens: usize,
    /// Generated ids, including the stop id when one ended the response.
    pub generated_ids: Vec<u32>,
    pub stop_reason: StopReason,
}

impl ResponseRecord {
    pub fn new(
        key: i64,
        prompt: &str,
        prompt_tokens: usize,
        generation: Generation,
        tokenizer: &GemmaTokenizer,
    ) -> Result<Self> {
        Ok(Self {
            prompt: prompt.to_owned(),
            response: response_text(&generation, tokenizer)?,
            key,
            prompt_tokens,
            generated_ids: generation.tokens,
            stop_reason: generation.stop_reason,
        })
    }

    pub fn response_example(&self) -> ResponseExample {
        ResponseExample {
            prompt: self.prompt.clone(),
            response: self.response.clone(),
        }
    }
}

/// The response as lm-eval's `generate_until` makes it for a Hugging Face model: the
/// continuation up to the stop token, decoded with `skip_special_tokens=True` (so any
/// `<end_of_turn>`, `<start_of_turn>` or `<eos>` the model wrote is dropped), and not stripped.
pub fn response_text(generation: &Generation, tokenizer: &GemmaTokenizer) -> Result<String> {
    let ids = match generation.stop_reason {
        StopReason::StopId => &generation.tokens[..generation.tokens.len().saturating_sub(1)],
        _ => &generation.tokens[..],
    };
    tokenizer.decode(ids, true)
}
