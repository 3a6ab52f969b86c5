//! The quantization study: each precision of Gemma 3 270M against accuracy (WikiText-2
//! perplexity and KL divergence from f32, IFEval), memory and speed, as tables and plots.

pub mod apply;
pub mod cli;
pub mod merge;
pub mod plots;
pub mod record;
pub mod report;
pub mod sweep;
pub mod variant;
