//! Export in HF layout: `config.json` + `model.safetensors` with HF names, `[out, in]` linear
//! weights, zero-centred norms and one embedding table, so transformers can load it.

use anyhow::{Context, bail};
use burn::store::ModuleSnapshot;
use burn::tensor::DType;
use std::path::Path;

use crate::config::Gemma3Config;
use crate::gemma3::Gemma3;

pub fn write_config(cfg: &Gemma3Config, dir: &Path) -> anyhow::Result<()> {
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&cfg.to_hf_json())?)
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes `dir/config.json` and `dir/model.safetensors` in the model's float type.
pub fn save(model: &Gemma3, dir: &Path) -> anyhow::Result<()> {
    if model.is_packed() {
        bail!("the model has packed weights; only a float model can be exported");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_config(&model.config, dir)?;
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut embed: Vec<(usize, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut dtype = None;
    for t in model.collect(None, None, false) {
        let bytes = t
            .to_bytes()
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", t.name))?
            .to_vec();
        let shape = t.shape.to_vec();
        dtype.get_or_insert(t.dtype);
        if let Some(i) = t.name.strip_prefix("embed_tokens.chunks.") {
            embed.push((i.parse()?, shape, bytes));
        } else if t.name.ends_with("_proj.weight") {
            // Burn's Linear holds [in, out]; HF holds [out, in].
            tensors.push((
                format!("model.{}", t.name),
                vec![shape[1], shape[0]],
                transpose_bytes(&bytes, shape[0], shape[1], t.dtype.size()),
            ));
        } else {
            tensors.push((format!("model.{}", t.name), shape, bytes));
        }
    }
    embed.sort_by_key(|e| e.0);
    let rows = embed.iter().map(|e| e.1[0]).sum();
    let width = embed[0].1[1];
    tensors.push((
        "model.embed_tokens.weight".into(),
        vec![rows, width],
        embed.into_iter().flat_map(|e| e.2).collect(),
    ));

    let st_dtype = match dtype {
        Some(DType::F32) => safetensors::Dtype::F32,
        Some(DType::BF16) => safetensors::Dtype::BF16,
        Some(DType::F16) => safetensors::Dtype::F16,
        other => bail!("cannot export tensors of type {other:?} to safetensors"),
    };
    let views = tensors
        .iter()
        .map(|(n, s, b)| {
            Ok((
                n.clone(),
                safetensors::tensor::TensorView::new(st_dtype, s.clone(), b)?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let path = dir.join("model.safetensors");
    let meta = std::collections::HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize_to_file(views, Some(meta), &path)
        .with_context(|| format!("writing {}", path.display()))
}

/// Row-major `[rows, cols]` of `elem`-byte values -> `[cols, rows]`.
fn transpose_bytes(bytes: &[u8], rows: usize, cols: usize, elem: usize) -> Vec<u8> {
    let mut out = vec![0u8; bytes.len()];
    for r in 0..rows {
        for c in 0..cols {
            let (src, dst) = ((r * cols + c) * elem, (c * rows + r) * elem);
            out[dst..dst + elem].copy_from_slice(&bytes[src..src + elem]);
        }
    }
    out
}
