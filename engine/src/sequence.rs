//! One request in flight: its sampler, what it generated, and when it stops.

use model::tokenizer::GemmaTokenizer;

use crate::request::{Generation, GenerationConfig, Request, StopReason};
use crate::sampling::Sampler;

pub(super) struct Sequence {
    pub id: u64,
    config: GenerationConfig,
    sampler: Sampler,
    /// Prompt and generated ids: what a repetition penalty sees.
    history: Vec<u32>,
    prompt_len: usize,
    /// The token to feed at the next decode step.
    pub next: u32,
}

impl Sequence {
    pub fn new(request: Request) -> Self {
        Self {
            id: request.id,
            sampler: Sampler::new(request.config.sampling.clone()),
            config: request.config,
            prompt_len: request.prompt.len(),
            history: request.prompt,
            next: 0,
        }
    }

    pub fn prompt(&self) -> &[u32] {
        &self.history[..self.prompt_len]
    }

    pub fn generated(&self) -> &[u32] {
        &self.history[self.prompt_len..]
    }

    /// Picks the next token from `logits` (`scratch` holds the copy a sampler may change).
    pub fn choose(&mut self, logits: &[f32], scratch: &mut Vec<f32>) -> u32 {
        scratch.clear();
        scratch.extend_from_slice(logits);
        let id = self.sampler.sample(scratch, &self.history);
        self.history.push(id);
        self.next = id;
        id
    }

    /// Why the sequence ends after its latest token, if it does.
    pub fn stop(&self, tokenizer: Option<&GemmaTokenizer>) -> anyhow::Result<Option<StopReason>> {
        let generated = self.generated();
        if generated
            .last()
            .is_some_and(|id| self.config.stop_ids.contains(id))
        {
            return Ok(Some(StopReason::StopId));
        }
        if let Some(tok) = tokenizer.filter(|_| !self.config.stop_strings.is_empty()) {
            let text = tok.decode(generated, false)?;
            if self
                .config
                .stop_strings
                .iter()
                .any(|s| text.contains(s.as_str()))
            {
                return Ok(Some(StopReason::StopString));
            }
        }
        Ok((generated.len() >= self.config.max_new_tokens).then_some(StopReason::MaxNewTokens))
    }

    pub fn finish(self, stop_reason: StopReason) -> Generation {
        Generation {
            tokens: self.history[self.prompt_len..].to_vec(),
            stop_reason,
        }
    }
}
