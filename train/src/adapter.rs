//! LoRA adapters on disk, in PEFT's layout so other tools can read them: a folder with
//! `adapter_config.json` and `adapter_model.safetensors` holding, per adapted module,
//! `base_model.model.model.layers.N.<module>.lora_A.weight` (`[rank, in]`) and `lora_B.weight`
//! (`[out, rank]`). Burn's factors are the transposes (`a: [in, rank]`, `b: [rank, out]`), just
//! as its linear weights are `[in, out]` where HF's are `[out, in]`. Loading (base + adapter,
//! merged) is the model crate's, so `gemma`, `eval` and `train` share it.

use anyhow::{Context, bail};
use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use model::Gemma3;
use safetensors::Dtype;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;

use crate::lora::LoraConfig;
pub use model::weights::lora_adapter::{CONFIG_FILE, WEIGHTS_FILE, load_adapter};

const PEFT_PREFIX: &str = "base_model.model.model.";

/// Writes the adapters of `model` (as trained with `cfg`) to `dir`.
pub fn save(model: &Gemma3, cfg: &LoraConfig, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (path, factor) in factors(model) {
        let (module, peft) = match (
            path.strip_suffix(".weight.lora.a"),
            path.strip_suffix(".weight.lora.b"),
        ) {
            (Some(m), _) => (m, "lora_A"),
            (_, Some(m)) => (m, "lora_B"),
            _ => continue,
        };
        let t = factor.transpose();
        let shape = t.dims().to_vec();
        let bytes = model::host::to_vec(t)?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        tensors.push((format!("{PEFT_PREFIX}{module}.{peft}.weight"), shape, bytes));
    }
    if tensors.is_empty() {
        bail!("the model carries no LoRA adapters");
    }
    let views = tensors
        .iter()
        .map(|(n, s, b)| {
            Ok((
                n.clone(),
                safetensors::tensor::TensorView::new(Dtype::F32, s.clone(), b)?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let weights = dir.join(WEIGHTS_FILE);
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize_to_file(views, Some(meta), &weights)
        .with_context(|| format!("writing {}", weights.display()))?;
    let config = json!({
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": cfg.rank,
        "lora_alpha": cfg.alpha,
        "lora_dropout": cfg.dropout,
        "target_modules": cfg.targets.iter().map(|t| t.hf_name()).collect::<Vec<_>>(),
        "bias": "none",
        "fan_in_fan_out": false,
        "use_rslora": false,
        "inference_mode": true,
    });
    let config_path = dir.join(CONFIG_FILE);
    std::fs::write(&config_path, serde_json::to_string_pretty(&config)?)
        .with_context(|| format!("writing {}", config_path.display()))
}

/// The `(path, factor)` of every adapter factor in `model`.
fn factors(model: &Gemma3) -> Vec<(String, Tensor<2>)> {
    #[derive(Default)]
    struct Collect {
        path: Vec<String>,
        out: Vec<(String, Tensor<2>)>,
    }
    impl ModuleVisitor for Collect {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let path = self.path.join(".");
            if D == 2 && crate::lora::factor_group().matches(&param.id, Some(&path)) {
                let t = param.val();
                let dims = t.dims();
                self.out.push((path, t.reshape([dims[0], dims[1]])));
            }
        }
    }
    let mut c = Collect::default();
    model.visit(&mut c);
    c.out
}
