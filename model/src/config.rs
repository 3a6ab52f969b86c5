//! `Gemma3Config`: the text-model hyper-parameters, read from GGUF metadata or an HF `config.json`.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

use gguf::GgufFile;

/// Whether a layer attends to the whole prefix or to the last `sliding_window` positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerType {
    #[serde(rename = "sliding_attention")]
    Sliding,
    #[serde(rename = "full_attention")]
    Global,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gemma3Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub head_dim: usize,
    /// Attention scores are scaled by `query_pre_attn_scalar^-0.5` (not `head_dim^-0.5`).
    pub query_pre_attn_scalar: f64,
    /// A sliding layer's query sees this many keys, itself included.
    pub sliding_window: usize,
    pub rms_norm_eps: f64,
    pub rope_theta_global: f64,
    pub rope_theta_local: f64,
    /// Linear RoPE scaling factor of the global layers (1.0 = none; the 270M model has none).
    pub rope_scaling_global: f64,
    pub max_position_embeddings: usize,
    pub layer_types: Vec<LayerType>,
    pub final_logit_softcapping: Option<f64>,
    pub attn_logit_softcapping: Option<f64>,
}

/// Limits on what a config may declare, checked before anything is allocated for it: far above
/// every Gemma 3 (27B: 62 layers, width 5376, 21504 in the MLP, a 262144-token vocabulary), far
/// below what a corrupt field would otherwise make `init` allocate.
const MAX_VOCAB: usize = 1 << 22;
const MAX_WIDTH: usize = 1 << 16;
const MAX_LAYERS: usize = 1 << 10;
const MAX_HEADS: usize = 1 << 10;
const MAX_POSITIONS: usize = 1 << 24;
/// About 34 billion parameters.
pub const MAX_PARAMETERS: u64 = 1 << 35;

/// Gemma 3 constants that GGUF files do not record.
const GEMMA3_ROPE_LOCAL_BASE: f64 = 10_000.0;
const GEMMA3_SLIDING_PATTERN: usize = 6;

impl Gemma3Config {
    /// Gemma 3 270M, as published.
    pub fn gemma3_270m() -> Self {
        Self {
            vocab_size: 262_144,
            hidden_size: 640,
            intermediate_size: 2048,
            num_layers: 18,
            num_heads: 4,
            num_kv_heads: 1,
            head_dim: 256,
            query_pre_attn_scalar: 256.0,
            sliding_window: 512,
            rms_norm_eps: 1e-6,
            rope_theta_global: 1_000_000.0,
            rope_theta_local: GEMMA3_ROPE_LOCAL_BASE,
            rope_scaling_global: 1.0,
            max_position_embeddings: 32_768,
            layer_types: pattern_layer_types(18, GEMMA3_SLIDING_PATTERN),
            final_logit_softcapping: None,
            attn_logit_softcapping: None,
        }
    }

    pub fn is_global(&self, layer: usize) -> bool {
        self.layer_types[layer] == LayerType::Global
    }

    /// Read the hyper-parameters from `gemma3.*` GGUF metadata; the GGUF lacks the local RoPE base
    /// and the layer pattern, so those are Gemma 3's constants.
    pub fn from_gguf(file: &GgufFile) -> anyhow::Result<Self> {
        let arch = file
            .get("general.architecture")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if arch != "gemma3" {
            bail!(
                "{}: general.architecture is {arch:?}, expected \"gemma3\"",
                file.path().display()
            );
        }
        let uint = |key: &str| -> anyhow::Result<usize> {
            let full = format!("gemma3.{key}");
            file.get(&full)
                .and_then(|v| v.as_u64())
                .map(|v| v as usize)
                .with_context(|| {
                    format!(
                        "{}: missing or non-integer metadata {full}",
                        file.path().display()
                    )
                })
        };
        let float = |key: &str| file.get(&format!("gemma3.{key}")).and_then(|v| v.as_f64());
        let num_layers = uint("block_count")?;
        let hidden_size = uint("embedding_length")?;
        let num_heads = uint("attention.head_count")?;
        let head_dim = uint("attention.key_length").unwrap_or(hidden_size / num_heads.max(1));
        let vocab_size = match file.tensor("token_embd.weight").map(|t| t.shape()) {
            Some(shape) if shape.len() == 2 => shape[0],
            Some(shape) => bail!(
                "{}: tensor token_embd.weight has shape {shape:?}, expected [vocab, hidden]",
                file.path().display()
            ),
            None => bail!(
                "{}: tensor token_embd.weight is missing",
                file.path().display()
            ),
        };
        let cfg = Self {
            vocab_size,
            hidden_size,
            intermediate_size: uint("feed_forward_length")?,
            num_layers,
            num_heads,
            num_kv_heads: uint("attention.head_count_kv").unwrap_or(num_heads),
            head_dim,
            // llama.cpp uses head_dim for Gemma 3's query_pre_attn_scalar (they are equal here).
            query_pre_attn_scalar: head_dim as f64,
            sliding_window: uint("attention.sliding_window")?,
            rms_norm_eps: float("attention.layer_norm_rms_epsilon").unwrap_or(1e-6),
            rope_theta_global: float("rope.freq_base").unwrap_or(1_000_000.0),
            rope_theta_local: GEMMA3_ROPE_LOCAL_BASE,
            rope_scaling_global: float("rope.scaling.factor")
                .filter(|f| *f > 0.0)
                .unwrap_or(1.0),
            max_position_embeddings: uint("context_length").unwrap_or(32_768),
            layer_types: pattern_layer_types(
                num_layers.min(MAX_LAYERS + 1),
                GEMMA3_SLIDING_PATTERN,
            ),
            final_logit_softcapping: float("final_logit_softcapping"),
            attn_logit_softcapping: float("attn_logit_softcapping"),
        };
        cfg.validate()
            .with_context(|| format!("{}: inconsistent gemma3 metadata", file.path().display()))?;
        Ok(cfg)
    }

    /// Read an HF `config.json` (Gemma3ForCausalLM / gemma3_text, or the `text_config` of a
    /// multimodal Gemma 3). Accepts every spelling transformers has used for the layer pattern and
    /// the two RoPE bases.
    pub fn from_hf_json(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_hf_str(&text, path)
    }

    /// [`Self::from_hf_json`] on the file's text; `path` only names it in errors.
    pub fn from_hf_str(text: &str, path: &Path) -> anyhow::Result<Self> {
        let root: Value = serde_json::from_str(text)
            .with_context(|| format!("{}: not valid JSON", path.display()))?;
        let v = root.get("text_config").unwrap_or(&root);
        Self::from_hf_value(v)
            .with_context(|| format!("{}: not a Gemma 3 text config", path.display()))
    }

    fn from_hf_value(v: &Value) -> anyhow::Result<Self> {
        let uint = |k: &str| {
            v.get(k)
                .and_then(Value::as_u64)
                .map(|x| x as usize)
                .with_context(|| format!("missing integer field {k:?}"))
        };
        let float = |k: &str| v.get(k).and_then(Value::as_f64);
        let num_layers = uint("num_hidden_layers")?;
        let num_heads = uint("num_attention_heads")?;
        let hidden_size = uint("hidden_size")?;
        let head_dim = uint("head_dim").unwrap_or(hidden_size / num_heads.max(1));

        let layer_types = if let Some(types) = v.get("layer_types").filter(|t| !t.is_null()) {
            serde_json::from_value::<Vec<LayerType>>(types.clone())
                .context("field \"layer_types\"")?
        } else {
            let pattern = uint("sliding_window_pattern")
                .or_else(|_| uint("_sliding_window_pattern"))
                .unwrap_or(GEMMA3_SLIDING_PATTERN);
            if pattern == 0 {
                bail!("field \"sliding_window_pattern\" must be positive");
            }
            pattern_layer_types(num_layers.min(MAX_LAYERS + 1), pattern)
        };

        // transformers >= 4.56 nests the bases in `rope_parameters`; older configs have flat fields.
        let nested = |kind: &str, k: &str| {
            v.pointer(&format!("/rope_parameters/{kind}/{k}"))
                .and_then(Value::as_f64)
        };
        let rope_theta_global = nested("full_attention", "rope_theta")
            .or(float("rope_theta"))
            .unwrap_or(1_000_000.0);
        let rope_theta_local = nested("sliding_attention", "rope_theta")
            .or(float("rope_local_base_freq"))
            .unwrap_or(GEMMA3_ROPE_LOCAL_BASE);
        let scaling = v
            .pointer("/rope_parameters/full_attention")
            .or_else(|| v.get("rope_scaling"))
            .filter(|s| !s.is_null());
        let rope_scaling_global = match scaling {
            Some(s) if s.get("rope_type").and_then(Value::as_str) == Some("linear") => {
                s.get("factor").and_then(Value::as_f64).unwrap_or(1.0)
            }
            Some(s)
                if matches!(
                    s.get("rope_type").and_then(Value::as_str),
                    None | Some("default")
                ) =>
            {
                1.0
            }
            Some(s) => bail!("unsupported rope scaling {s}"),
            None => 1.0,
        };

        let cfg = Self {
            vocab_size: uint("vocab_size")?,
            hidden_size,
            intermediate_size: uint("intermediate_size")?,
            num_layers,
            num_heads,
            num_kv_heads: uint("num_key_value_heads").unwrap_or(num_heads),
            head_dim,
            query_pre_attn_scalar: float("query_pre_attn_scalar").unwrap_or(head_dim as f64),
            sliding_window: uint("sliding_window")?,
            rms_norm_eps: float("rms_norm_eps").unwrap_or(1e-6),
            rope_theta_global,
            rope_theta_local,
            rope_scaling_global,
            max_position_embeddings: uint("max_position_embeddings").unwrap_or(32_768),
            layer_types,
            final_logit_softcapping: float("final_logit_softcapping"),
            attn_logit_softcapping: float("attn_logit_softcapping"),
        };
        if let Some(act) = v.get("hidden_activation").and_then(Value::as_str)
            && act != "gelu_pytorch_tanh"
        {
            bail!("hidden_activation {act:?} is not supported (Gemma 3 uses gelu_pytorch_tanh)");
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// The HF `config.json` for this model (used by the safetensors export).
    pub fn to_hf_json(&self) -> Value {
        serde_json::json!({
            "architectures": ["Gemma3ForCausalLM"],
            "model_type": "gemma3_text",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_layers,
            "num_attention_heads": self.num_heads,
            "num_key_value_heads": self.num_kv_heads,
            "head_dim": self.head_dim,
            "query_pre_attn_scalar": self.query_pre_attn_scalar,
            "sliding_window": self.sliding_window,
            "rms_norm_eps": self.rms_norm_eps,
            "max_position_embeddings": self.max_position_embeddings,
            "layer_types": self.layer_types,
            "rope_parameters": {
                "full_attention": if self.rope_scaling_global == 1.0 {
                    serde_json::json!({"rope_theta": self.rope_theta_global, "rope_type": "default"})
                } else {
                    serde_json::json!({"rope_theta": self.rope_theta_global, "rope_type": "linear", "factor": self.rope_scaling_global})
                },
                "sliding_attention": {"rope_theta": self.rope_theta_local, "rope_type": "default"},
            },
            "hidden_activation": "gelu_pytorch_tanh",
            "final_logit_softcapping": self.final_logit_softcapping,
            "attn_logit_softcapping": self.attn_logit_softcapping,
            "tie_word_embeddings": true,
            "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0,
            "torch_dtype": "float32",
        })
    }

    /// Weights of the model this config describes (the embedding is tied, so counted once).
    pub fn parameter_count(&self) -> u64 {
        let [v, d, f, q, kv, layers] = [
            self.vocab_size,
            self.hidden_size,
            self.intermediate_size,
            self.num_heads * self.head_dim,
            self.num_kv_heads * self.head_dim,
            self.num_layers,
        ]
        .map(|n| n as u64);
        let attention = d * (2 * q + 2 * kv) + 2 * self.head_dim as u64;
        let mlp = 3 * d * f;
        v * d + d + layers * (attention + mlp + 4 * d)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let limits = [
            ("vocab_size", self.vocab_size, MAX_VOCAB),
            ("hidden_size", self.hidden_size, MAX_WIDTH),
            ("intermediate_size", self.intermediate_size, MAX_WIDTH),
            ("head_dim", self.head_dim, MAX_WIDTH),
            ("num_layers", self.num_layers, MAX_LAYERS),
            ("num_heads", self.num_heads, MAX_HEADS),
            ("num_kv_heads", self.num_kv_heads, MAX_HEADS),
            ("sliding_window", self.sliding_window, MAX_POSITIONS),
            (
                "max_position_embeddings",
                self.max_position_embeddings,
                MAX_POSITIONS,
            ),
        ];
        for (field, value, max) in limits {
            if value > max {
                bail!("{field} = {value} is over the limit of {max}: a corrupt config?");
            }
        }
        // With every size bounded as above, this cannot overflow.
        let parameters = self.parameter_count();
        if parameters > MAX_PARAMETERS {
            bail!(
                "the config describes {parameters} parameters, over the limit of {MAX_PARAMETERS}"
            );
        }
        if self.num_heads == 0 || self.num_kv_heads == 0 {
            bail!(
                "num_heads ({}) and num_kv_heads ({}) must be positive",
                self.num_heads,
                self.num_kv_heads
            );
        }
        if !self.num_heads.is_multiple_of(self.num_kv_heads) {
            bail!(
                "num_heads {} is not a multiple of num_kv_heads {}",
                self.num_heads,
                self.num_kv_heads
            );
        }
        if self.layer_types.len() != self.num_layers {
            bail!(
                "{} layer types for {} layers",
                self.layer_types.len(),
                self.num_layers
            );
        }
        if !self.head_dim.is_multiple_of(2) || self.sliding_window == 0 {
            bail!("head_dim must be even and sliding_window positive");
        }
        Ok(())
    }
}

/// Every `pattern`-th layer is global, the rest slide (5:1 for Gemma 3).
fn pattern_layer_types(num_layers: usize, pattern: usize) -> Vec<LayerType> {
    (0..num_layers)
        .map(|i| {
            if (i + 1) % pattern == 0 {
                LayerType::Global
            } else {
                LayerType::Sliding
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemma3_pattern_puts_global_layers_at_5_11_17() {
        let cfg = Gemma3Config::gemma3_270m();
        let globals: Vec<usize> = (0..18).filter(|&i| cfg.is_global(i)).collect();
        assert_eq!(globals, vec![5, 11, 17]);
    }

    #[test]
    fn hf_spellings_agree() {
        let base = serde_json::json!({"num_hidden_layers": 12, "num_attention_heads": 4, "num_key_value_heads": 1,
            "hidden_size": 64, "head_dim": 16, "vocab_size": 10, "intermediate_size": 8, "sliding_window": 4});
        let with = |extra: Value| {
            let mut v = base.clone();
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            Gemma3Config::from_hf_value(&v).unwrap()
        };
        let flat = with(
            serde_json::json!({"sliding_window_pattern": 6, "rope_theta": 1e6, "rope_local_base_freq": 1e4}),
        );
        let private = with(
            serde_json::json!({"_sliding_window_pattern": 6, "rope_theta": 1e6, "rope_local_base_freq": 1e4}),
        );
        let nested = with(serde_json::json!({"layer_types": flat.layer_types.clone(),
            "rope_parameters": {"full_attention": {"rope_theta": 1e6, "rope_type": "default"},
                                "sliding_attention": {"rope_theta": 1e4, "rope_type": "default"}}}));
        assert_eq!(flat, private);
        assert_eq!(flat, nested);
        assert_eq!(
            flat.layer_types
                .iter()
                .filter(|t| **t == LayerType::Global)
                .count(),
            2
        );
        let roundtrip = Gemma3Config::from_hf_value(&flat.to_hf_json()).unwrap();
        assert_eq!(roundtrip, flat);
    }
}
