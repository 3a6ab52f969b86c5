//! Evaluation tools for the Gemma 3 research framework: the IFEval scorer ([`ifeval`]),
//! agreeing verdict for verdict with Google's reference; IFEval generation with the model
//! ([`ifeval_run`]); and llama.cpp-style perplexity and KL divergence ([`perplexity`]).

pub mod cli;
pub mod data_dir;
pub mod ifeval;
pub mod ifeval_run;
pub mod perplexity;
pub mod progress;
pub mod provenance;
pub mod run_dir;
