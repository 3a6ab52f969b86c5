//! Gemma 3 (270M and the rest of the text family) written once in Burn: it runs on every
//! backend the binary was compiled with, loads llama.cpp GGUF files, HF safetensors and
//! burnpack checkpoints, and runs forwards on a KV cache. The GGUF reader is the `gguf` crate,
//! the CPU kernels the `kernels` crate (reached through [`cpu_kernels`]), and generation the
//! `engine` crate.

pub mod attention;
pub mod attention_mask;
pub mod backend;
pub mod chat_template;
pub mod config;
pub mod cpu_kernels;
pub mod decoder_layer;
pub mod dtype;
pub mod feed_forward;
pub mod gemma3;
pub mod host;
pub mod kv_cache;
pub mod module_walk;
pub mod projection;
pub mod rms_norm;
pub mod rope;
pub mod tied_embedding;
pub mod tokenizer;
pub mod weights;

pub use backend::{BackendKind, DeviceSpec};
pub use config::Gemma3Config;
pub use dtype::ModelDtype;
pub use gemma3::Gemma3;
pub use kv_cache::KvCache;
pub use tokenizer::GemmaTokenizer;
