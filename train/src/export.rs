//! A fine-tuned model as a standalone HF checkpoint (`config.json` + `model.safetensors`), with
//! any adapters merged into the weights, loadable by this project and by transformers.

use burn::module::Module;
use model::Gemma3;
use std::path::Path;

/// Merges `model`'s adapters (if any) and writes it to `dir` in HF layout.
pub fn save_merged(model: &Gemma3, dir: &Path) -> anyhow::Result<()> {
    model::weights::hf_export::save(&model.valid().materialize(), dir)
}
