//! Evaluation tools for the Gemma 3 research framework: the IFEval scorer ([`ifeval`]),
//! agreeing verdict for verdict with Google's reference; IFEval generation with the model
//! ([`ifeval_run`]); llama.cpp-style perplexity and KL divergence ([`perplexity`]); and the
//! contact-extraction task the fine-tuning demo learns ([`extraction`]), on JSONL examples
//! ([`records`]).

pub mod benchmark;
pub mod cli;
pub mod data_dir;
pub mod extraction;
pub mod ifbench;
pub mod ifeval;
pub mod ifeval_run;
pub mod merge;
pub mod perplexity;
pub mod progress;
pub mod provenance;
pub mod records;
pub mod run_dir;
pub mod shard;
