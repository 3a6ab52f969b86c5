//! Burn's own format: a folder with `model.bpk` (the module's tensors, already f32/bf16, in
//! Burn's layout) and `config.json`. Loading skips dequantization and transposes.

use anyhow::{Context, bail};
use burn::prelude::*;
use burn::store::{BurnpackStore, FloatCastAdapter, ModuleSnapshot};
use burn::tensor::DType;
use std::path::{Path, PathBuf};

use crate::config::Gemma3Config;
use crate::gemma3::Gemma3;

pub const FILE: &str = "model.bpk";

/// The `.bpk` file that `path` names, directly or as its folder.
pub fn find(path: &Path) -> Option<PathBuf> {
    if path.extension().is_some_and(|e| e == "bpk") {
        return Some(path.to_path_buf());
    }
    let inside = path.join(FILE);
    inside.exists().then_some(inside)
}

/// Writes `dir/model.bpk` and `dir/config.json`.
pub fn save(model: &Gemma3, dir: &Path) -> anyhow::Result<()> {
    if model.is_packed() {
        bail!("the model has packed weights; only a float model can be exported");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    super::hf_export::write_config(&model.config, dir)?;
    let mut store = BurnpackStore::from_file(dir.join(FILE)).overwrite(true);
    model
        .save_into(&mut store)
        .map_err(|e| anyhow::anyhow!("{}: writing burnpack failed: {e}", dir.join(FILE).display()))
}

pub fn load(bpk: &Path, device: &Device, dtype: DType) -> anyhow::Result<Gemma3> {
    let cfg = Gemma3Config::from_hf_json(&bpk.with_file_name("config.json"))?;
    let stored = std::fs::metadata(bpk)
        .with_context(|| format!("reading {}", bpk.display()))?
        .len();
    super::source::check_fits(&cfg, stored, bpk)?;
    let mut model = cfg.init(device, dtype);
    let mut store = BurnpackStore::from_file(bpk).with_from_adapter(FloatCastAdapter::to(dtype));
    let result = model
        .load_from(&mut store)
        .map_err(|e| anyhow::anyhow!("{}: not a readable burnpack: {e}", bpk.display()))?;
    if !result.missing.is_empty() || !result.errors.is_empty() {
        bail!(
            "{}: tensors missing {:?}, errors {:?}",
            bpk.display(),
            result.missing,
            result.errors
        );
    }
    Ok(model)
}
