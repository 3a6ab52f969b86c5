//! The step loop: admit, prefill one chunk, decode every running row, refill.

use std::collections::VecDeque;
use std::time::Instant;

use anyhow::{Context, bail, ensure};

use model::gemma3::Gemma3;
use model::host;
use model::kv_cache::KvCache;
use model::tokenizer::{GemmaTokenizer, PAD_ID};

use crate::request::{EngineConfig, EngineStats, Event, Request, StopReason};
use crate::sequence::Sequence;

/// A prompt being fed into the one-row staging cache.
struct Prefill {
    seq: Sequence,
    /// Prompt tokens fed so far.
    fed: usize,
}

pub struct Scheduler<'m> {
    model: &'m Gemma3,
    tokenizer: Option<&'m GemmaTokenizer>,
    cfg: EngineConfig,
    queue: VecDeque<Request>,
    prefill: Option<Prefill>,
    /// One row per running sequence; `None` is a free row.
    rows: Vec<Option<Sequence>>,
    cache: KvCache,
    staging: KvCache,
    scratch: Vec<f32>,
    stats: EngineStats,
}

impl<'m> Scheduler<'m> {
    pub fn new(
        model: &'m Gemma3,
        tokenizer: Option<&'m GemmaTokenizer>,
        cfg: EngineConfig,
    ) -> anyhow::Result<Self> {
        ensure!(cfg.max_seqs > 0, "max_seqs must be at least 1");
        ensure!(cfg.prefill_chunk > 0, "prefill_chunk must be at least 1");
        Ok(Self {
            model,
            tokenizer,
            cfg,
            queue: VecDeque::new(),
            prefill: None,
            rows: (0..cfg.max_seqs).map(|_| None).collect(),
            cache: model.new_cache(cfg.max_seqs),
            staging: model.new_cache(1),
            scratch: vec![],
            stats: EngineStats::default(),
        })
    }

    /// Queues a request after checking it fits the model.
    pub fn submit(&mut self, request: Request) -> anyhow::Result<()> {
        let (id, len) = (request.id, request.prompt.len());
        let context = self.model.config.max_position_embeddings;
        let max_new = request.config.max_new_tokens;
        if len == 0 {
            bail!("request {id}: the prompt has no tokens");
        }
        if len + max_new > context {
            bail!(
                "request {id}: prompt of {len} tokens plus {max_new} new tokens exceeds the context of {context} tokens"
            );
        }
        let vocab = self.model.config.vocab_size;
        if let Some(bad) = request.prompt.iter().find(|&&t| t as usize >= vocab) {
            // The tokenizer has ids past the model's table (`<image_soft_token>`).
            bail!("request {id}: token id {bad} is outside the model's vocabulary of {vocab}");
        }
        if !request.config.stop_strings.is_empty() && self.tokenizer.is_none() {
            bail!("request {id}: stop strings need a tokenizer");
        }
        self.queue.push_back(request);
        Ok(())
    }

    /// Drops a request, queued or running; its row is free at the next step.
    pub fn cancel(&mut self, id: u64) {
        self.queue.retain(|r| r.id != id);
        if self.prefill.as_ref().is_some_and(|p| p.seq.id == id) {
            self.prefill = None;
        }
        for (row, slot) in self.rows.iter_mut().enumerate() {
            if slot.as_ref().is_some_and(|s| s.id == id) {
                *slot = None;
                self.cache.reset(row);
            }
        }
    }

    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.prefill.is_none() && self.in_flight() == 0
    }

    /// Sequences holding a row, plus the one being prefilled.
    pub fn in_flight(&self) -> usize {
        self.rows.iter().flatten().count() + usize::from(self.prefill.is_some())
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// The shared cache (its rows and sizes).
    pub fn cache(&self) -> &KvCache {
        &self.cache
    }

    /// One step: at most one prefill chunk, then one decode token for every running row.
    pub fn step(
        &mut self,
        on_event: &mut impl FnMut(Event) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.admit(on_event)?;
        if self.prefill.is_some() {
            self.prefill_chunk(on_event)?;
        }
        self.decode(on_event)?;
        if self.queue.is_empty() && self.prefill.is_none() {
            self.compact();
        }
        self.stats.peak_cache_bytes = self.stats.peak_cache_bytes.max(self.cache.bytes());
        Ok(())
    }

    fn free_row(&self) -> Option<usize> {
        self.rows.iter().position(Option::is_none)
    }

    /// Starts the next queued request's prefill when a row is free for it.
    fn admit(
        &mut self,
        on_event: &mut impl FnMut(Event) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        while self.prefill.is_none() && self.free_row().is_some() {
            let Some(request) = self.queue.pop_front() else {
                break;
            };
            self.stats.requests += 1;
            self.stats.prompt_tokens += request.prompt.len();
            on_event(Event::Started { id: request.id })?;
            let seq = Sequence::new(request);
            if seq.stop(None)? == Some(StopReason::MaxNewTokens) {
                // Nothing to generate (a zero token limit).
                let id = seq.id;
                on_event(Event::Finished {
                    id,
                    generation: seq.finish(StopReason::MaxNewTokens),
                })?;
                continue;
            }
            self.staging.reset(0);
            self.prefill = Some(Prefill { seq, fed: 0 });
        }
        Ok(())
    }

    fn prefill_chunk(
        &mut self,
        on_event: &mut impl FnMut(Event) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let start = Instant::now();
        let mut p = self.prefill.take().expect("a prefill in progress");
        let prompt = p.seq.prompt();
        let end = (p.fed + self.cfg.prefill_chunk).min(prompt.len());
        let device = self.model.device();
        let tokens = host::tokens(&prompt[p.fed..end], 1, &device);
        let hidden = self.model.forward(tokens, &mut self.staging);
        p.fed = end;
        if p.fed < p.seq.prompt().len() {
            self.prefill = Some(p);
            self.stats.prefill_secs += start.elapsed().as_secs_f64();
            return Ok(());
        }
        let logits = host::to_vec(self.model.last_logits(hidden))
            .with_context(|| format!("prefilling request {}", p.seq.id))?;
        self.stats.prefill_secs += start.elapsed().as_secs_f64();
        let mut seq = p.seq;
        let token = seq.choose(&logits, &mut self.scratch);
        self.stats.generated_tokens += 1;
        on_event(Event::Token {
            id: seq.id,
            token,
            logits: &logits,
        })?;
        if let Some(reason) = seq.stop(self.tokenizer)? {
            let id = seq.id;
            return on_event(Event::Finished {
                id,
                generation: seq.finish(reason),
            });
        }
        let row = self.free_row().expect("admitted with a free row");
        self.cache.copy_row(row, &self.staging, 0);
        self.rows[row] = Some(seq);
        Ok(())
    }

    fn decode(
        &mut self,
        on_event: &mut impl FnMut(Event) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let Some(last) = self.rows.iter().rposition(Option::is_some) else {
            return Ok(());
        };
        let start = Instant::now();
        let n = last + 1;
        // Free rows below the last running one decode a pad, and are reset after.
        let next: Vec<u32> = self.rows[..n]
            .iter()
            .map(|s| s.as_ref().map_or(PAD_ID, |s| s.next))
            .collect();
        let device = self.model.device();
        let hidden =
            self.model
                .forward_rows(host::tokens(&next, n, &device), &mut self.cache, 0..n);
        let logits = host::to_vec(self.model.last_logits(hidden)).context("a decode step")?;
        let vocab = logits.len() / n;
        for (row, row_logits) in logits.chunks_exact(vocab).enumerate() {
            let Some(seq) = self.rows[row].as_mut() else {
                self.cache.reset(row);
                continue;
            };
            let token = seq.choose(row_logits, &mut self.scratch);
            self.stats.generated_tokens += 1;
            self.stats.decode_tokens += 1;
            on_event(Event::Token {
                id: seq.id,
                token,
                logits: row_logits,
            })?;
            if let Some(reason) = seq.stop(self.tokenizer)? {
                let seq = self.rows[row].take().expect("a running row");
                self.cache.reset(row);
                let id = seq.id;
                on_event(Event::Finished {
                    id,
                    generation: seq.finish(reason),
                })?;
            }
        }
        self.stats.decode_steps += 1;
        self.stats.decode_secs += start.elapsed().as_secs_f64();
        Ok(())
    }

    /// With nothing left to admit, moves the last running rows into the free rows below them,
    /// so decode steps stop carrying idle rows.
    fn compact(&mut self) {
        while let (Some(free), Some(last)) =
            (self.free_row(), self.rows.iter().rposition(Option::is_some))
        {
            if free > last {
                break;
            }
            self.cache.move_row(last, free);
            self.rows[free] = self.rows[last].take();
        }
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
