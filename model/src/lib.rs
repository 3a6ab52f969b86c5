//! Gemma 3 (270M and the rest of the text family) written once in Burn: it runs on every
//! backend the binary was compiled with, loads llama.cpp GGUF files and HF safetensors
//! checkpoints, and generates with a KV cache.

pub mod attention;
pub mod attention_mask;
pub mod backend;
pub mod byte_source;
pub mod chat_template;
pub mod config;
pub mod decode_attention;
pub mod decoder_layer;
pub mod dtype;
pub mod engine;
pub mod feed_forward;
pub mod gemma3;
pub mod generate;
pub mod gguf;
pub mod host;
pub mod kv_cache;
pub mod packed;
pub mod projection;
pub mod rms_norm;
pub mod rope;
pub mod sampling;
pub mod scoring;
pub mod threaded_matmul;
pub mod threads;
pub mod tied_embedding;
pub mod tokenizer;
pub mod weights;

pub use backend::BackendKind;
pub use config::Gemma3Config;
pub use dtype::ModelDtype;
pub use gemma3::Gemma3;
pub use kv_cache::KvCache;
pub use tokenizer::GemmaTokenizer;
