//! LoRA adapters in PEFT's layout (`adapter_config.json` + `adapter_model.safetensors`, per
//! adapted module `…layers.N.<module>.lora_A.weight` `[rank, in]` and `lora_B.weight`
//! `[out, rank]`), merged into a loaded model so every tool runs base + adapter with `--adapter`.
//! Burn's factors are the transposes (`a: [in, rank]`, `b: [rank, out]`), just as its linear
//! weights are `[in, out]` where HF's are `[out, in]`. Training and saving live in `train`.

use anyhow::{Context, anyhow, bail};
use burn::module::{LoraAdapter, Module, Param, Reparameterizer};
use burn::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

use super::safetensors_file::SafetensorsFile;
use crate::gemma3::Gemma3;

pub const CONFIG_FILE: &str = "adapter_config.json";
pub const WEIGHTS_FILE: &str = "adapter_model.safetensors";

/// Loads the adapter in `dir` onto `model` and merges it into the weights, ready for generation
/// or evaluation (merging saves the per-step `A·B` product that an attached adapter costs).
pub fn load_adapter(model: Gemma3, dir: &Path) -> anyhow::Result<Gemma3> {
    if model.is_packed() {
        bail!(
            "{}: an adapter merges into float weights; load it before packing the model",
            dir.display()
        );
    }
    let AdapterFiles { scale, factors } = AdapterFiles::read(dir)?;
    let mut attach = Attach {
        factors,
        scale,
        problems: vec![],
    };
    let model = model.apply_reparameterization(&mut attach);
    if !attach.factors.is_empty() {
        attach.problems.push(format!(
            "no such weight in the model: {}",
            attach
                .factors
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !attach.problems.is_empty() {
        bail!(
            "{}: adapter does not fit the model: {}",
            dir.display(),
            attach.problems.join("; ")
        );
    }
    Ok(model.materialize())
}

/// What an adapter folder holds, read and checked, before it meets a model.
pub struct AdapterFiles {
    /// `lora_alpha / r` (or `/ sqrt(r)` with rsLoRA).
    pub scale: f64,
    pub factors: Factors,
}

impl AdapterFiles {
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let config = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config)
            .with_context(|| format!("reading {}", config.display()))?;
        Self::parse(
            &text,
            &config,
            &SafetensorsFile::open(&dir.join(WEIGHTS_FILE))?,
        )
    }

    /// The adapter from its config's text (`config` names that file in errors) and its weights.
    pub fn parse(text: &str, config: &Path, weights: &SafetensorsFile) -> anyhow::Result<Self> {
        Ok(Self {
            scale: parse_scale(text, config)?,
            factors: read_factors(weights)?,
        })
    }
}

fn parse_scale(text: &str, path: &Path) -> anyhow::Result<f64> {
    let v: Value = serde_json::from_str(text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    if v.get("peft_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "LORA")
    {
        bail!(
            "{}: not a LoRA adapter (peft_type {})",
            path.display(),
            v["peft_type"]
        );
    }
    let r = v
        .get("r")
        .and_then(Value::as_f64)
        .filter(|&r| r > 0.0)
        .ok_or_else(|| anyhow!("{}: missing or bad \"r\"", path.display()))?;
    let alpha = v
        .get("lora_alpha")
        .and_then(Value::as_f64)
        .ok_or_else(|| anyhow!("{}: missing \"lora_alpha\"", path.display()))?;
    let rslora = v
        .get("use_rslora")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(if rslora { alpha / r.sqrt() } else { alpha / r })
}

/// A tensor read from the file: `(shape, row-major values)`.
type HostTensor = (Vec<usize>, Vec<f32>);
/// A and B (PEFT layout, f32) per Burn weight path `layers.N.<module>.weight`.
pub type Factors = BTreeMap<String, [HostTensor; 2]>;

fn read_factors(file: &SafetensorsFile) -> anyhow::Result<Factors> {
    let path = file.path();
    let mut halves: BTreeMap<String, [Option<HostTensor>; 2]> = BTreeMap::new();
    for name in file.names() {
        let parsed = name.find("layers.").and_then(|start| {
            let rest = &name[start..];
            [(".lora_A.weight", 0), (".lora_B.weight", 1)]
                .into_iter()
                .find_map(|(suffix, i)| rest.strip_suffix(suffix).map(|m| (m, i)))
        });
        let (module, which) =
            parsed.ok_or_else(|| anyhow!("{}: unexpected tensor {name}", path.display()))?;
        let key = format!("{module}.weight");
        halves.entry(key).or_default()[which] = Some(file.read_f32(&name)?);
    }
    halves
        .into_iter()
        .map(|(key, [a, b])| match (a, b) {
            (Some(a), Some(b)) => Ok((key, [a, b])),
            _ => bail!("{}: {key} lacks its lora_A or lora_B", path.display()),
        })
        .collect()
}

/// Attaches the loaded factors as Burn [`LoraAdapter`]s on the weights they name.
struct Attach {
    factors: Factors,
    scale: f64,
    problems: Vec<String>,
}

impl Reparameterizer for &mut Attach {
    type Reparam = LoraAdapter;

    fn reparameterize<const D: usize>(
        &mut self,
        path: &str,
        param: Param<Tensor<D>>,
    ) -> (Param<Tensor<D>>, Option<LoraAdapter>) {
        let Some([(a_shape, a), (b_shape, b)]) = self.factors.remove(path) else {
            return (param, None);
        };
        let base = param.val();
        let dims = base.dims();
        // PEFT: A [rank, in], B [out, rank]; Burn's base is [in, out].
        let fits = D == 2
            && a_shape.len() == 2
            && b_shape.len() == 2
            && a_shape[0] == b_shape[1]
            && [a_shape[1], b_shape[0]] == [dims[0], dims[1]];
        if !fits {
            self.problems.push(format!(
                "{path}: base {dims:?} (Burn [in, out]) vs lora_A {a_shape:?}, lora_B {b_shape:?}"
            ));
            return (param, None);
        }
        let opts = (&base.device(), base.dtype());
        let factor = |values: Vec<f32>, shape: &[usize]| {
            Param::from_tensor(
                Tensor::<2>::from_data(TensorData::new(values, [shape[0], shape[1]]), opts)
                    .transpose(),
            )
        };
        let adapter = LoraAdapter {
            a: factor(a, &a_shape),
            b: factor(b, &b_shape),
            scale: self.scale,
        };
        (param, Some(adapter))
    }
}
