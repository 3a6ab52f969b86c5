//! Fine-tuning Gemma 3 (full or LoRA) from JSONL, with checkpoints that resume exactly, merged
//! or adapter-only export. The demo extraction task and its scorer live in `eval::extraction`.

pub mod adapter;
pub mod checkpoint;
pub mod clip;
pub mod data;
pub mod export;
pub mod lora;
pub mod loss;
pub mod method;
pub mod metrics;
pub mod replicas;
pub mod schedule;
pub mod train_config;
pub mod trainer;
