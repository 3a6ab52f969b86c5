//! The command line around the [`model`] library: the options every tool shares (model file,
//! backend, dtype, packing, adapter) and how they load a model, where the model and the shared
//! data are found, the benchmark harness, and the llama.cpp runner that it and the tests compare
//! against. The `gemma` binary (generate, chat, logits, backends, convert, bench, inspect) is
//! built on it, and so are `eval`, `train` and `experiments`.

pub mod args;
pub mod bench;
pub mod engine_bench;
pub mod llama_cpp;
pub mod paths;
