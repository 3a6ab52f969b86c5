//! The generation engine: continuous batching over one preallocated cache.
//!
//! A [`Scheduler`] keeps up to `max_seqs` sequences in flight, one cache row each. Every step
//! decodes one token for every running sequence in one batched forward. A finished sequence's
//! row goes at once to the next queued request, whose prompt is prefilled in a one-row cache in
//! chunks of at most `prefill_chunk` tokens (at most one chunk per step, so the running
//! sequences never wait long) and then copied into the free row. Rows sit at their own
//! positions, so a sequence's tokens do not depend on its neighbours, nor on when it arrived.
//!
//! Modules, from the top down: `generate` (one call for a few prompts), `scheduler` (the
//! batching loop), `sequence` (one request in flight), then `request` (the types they share),
//! `sampling` and `scoring` (log-probabilities of given tokens).

pub mod generate;
pub mod request;
pub mod sampling;
pub mod scheduler;
pub mod scoring;
mod sequence;

pub use generate::{generate, generate_batch};
pub use request::{
    EngineConfig, EngineStats, Event, Generation, GenerationConfig, Request, StopReason,
};
pub use scheduler::{Scheduler, run};
