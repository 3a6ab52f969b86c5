//! llama.cpp GGUF files as a [`WeightSource`]: llama.cpp names, dequantized to f32.

use anyhow::Context;
use std::path::Path;

use super::WeightSource;
use crate::config::Gemma3Config;
use crate::gguf::GgufFile;

pub struct GgufSource {
    file: GgufFile,
    config: Gemma3Config,
}

impl GgufSource {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = GgufFile::open(path)?;
        let config = Gemma3Config::from_gguf(&file)?;
        Ok(Self { file, config })
    }
}

/// The llama.cpp name of an HF tensor, and whether it is an RMSNorm weight (stored as `1 + w`).
pub fn gguf_name(hf_name: &str) -> Option<(String, bool)> {
    let name = hf_name.strip_suffix(".weight")?;
    if name == "model.embed_tokens" {
        return Some(("token_embd.weight".into(), false));
    }
    if name == "model.norm" {
        return Some(("output_norm.weight".into(), true));
    }
    let rest = name.strip_prefix("model.layers.")?;
    let (layer, part) = rest.split_once('.')?;
    let (short, is_norm) = match part {
        "input_layernorm" => ("attn_norm", true),
        "post_attention_layernorm" => ("post_attention_norm", true),
        "pre_feedforward_layernorm" => ("ffn_norm", true),
        "post_feedforward_layernorm" => ("post_ffw_norm", true),
        "self_attn.q_proj" => ("attn_q", false),
        "self_attn.k_proj" => ("attn_k", false),
        "self_attn.v_proj" => ("attn_v", false),
        "self_attn.o_proj" => ("attn_output", false),
        "self_attn.q_norm" => ("attn_q_norm", true),
        "self_attn.k_norm" => ("attn_k_norm", true),
        "mlp.gate_proj" => ("ffn_gate", false),
        "mlp.up_proj" => ("ffn_up", false),
        "mlp.down_proj" => ("ffn_down", false),
        _ => return None,
    };
    Some((format!("blk.{layer}.{short}.weight"), is_norm))
}

impl WeightSource for GgufSource {
    fn path(&self) -> &Path {
        self.file.path()
    }

    fn config(&self) -> &Gemma3Config {
        &self.config
    }

    fn load(&self, hf_name: &str) -> anyhow::Result<(Vec<usize>, Vec<f32>)> {
        let (name, is_norm) =
            gguf_name(hf_name).with_context(|| format!("no GGUF name for tensor {hf_name}"))?;
        let info = self.file.tensor(&name).with_context(|| {
            format!(
                "{}: tensor {name} (for {hf_name}) is missing",
                self.path().display()
            )
        })?;
        let shape = info.shape();
        let mut values = self.file.dequantize(&name)?;
        if is_norm {
            // llama.cpp baked Gemma's `1 +` into the stored norm weights.
            values.iter_mut().for_each(|v| *v -= 1.0);
        }
        Ok((shape, values))
    }

    fn stored_bytes(&self) -> u64 {
        self.file.tensors().iter().map(|t| t.n_bytes).sum()
    }
}
