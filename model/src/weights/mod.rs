//! Building a [`Gemma3`] from a file of weights. Every source speaks HF tensor names and HF
//! conventions (norm weights zero-centred, linear weights `[out, in]`), so GGUF and safetensors
//! checkpoints yield the same model.

pub mod burnpack;
mod gguf_source;
pub mod hf_export;
pub mod lora_adapter;
mod safetensors_source;

pub use gguf_source::GgufSource;
pub use safetensors_source::SafetensorsSource;

use anyhow::bail;
use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::DType;
use std::path::Path;

use crate::attention::Attention;
use crate::config::Gemma3Config;
use crate::decoder_layer::DecoderLayer;
use crate::feed_forward::FeedForward;
use crate::gemma3::Gemma3;
use crate::rms_norm::RmsNorm;
use crate::tied_embedding::TiedEmbedding;

/// A file of weights addressed by HF names.
pub trait WeightSource {
    /// The file, for error messages.
    fn path(&self) -> &Path;
    fn config(&self) -> &Gemma3Config;
    /// `(shape, row-major values)` of an HF-named tensor, or an error naming the file and tensor.
    fn load(&self, hf_name: &str) -> anyhow::Result<(Vec<usize>, Vec<f32>)>;
}

/// Opens a `.gguf` file, or an HF checkpoint (a folder with `config.json` and
/// `model.safetensors` / sharded `model-*.safetensors`, or one such `.safetensors` file).
pub fn open(path: &Path) -> anyhow::Result<Box<dyn WeightSource>> {
    if path.extension().is_some_and(|e| e == "gguf") {
        Ok(Box::new(GgufSource::open(path)?))
    } else {
        Ok(Box::new(SafetensorsSource::open(path)?))
    }
}

/// The configuration of the model in `path` (any format [`load_model`] takes), read from its
/// metadata without loading a weight.
pub fn read_config(path: &Path) -> anyhow::Result<Gemma3Config> {
    match burnpack::find(path) {
        Some(bpk) => Gemma3Config::from_hf_json(&bpk.with_file_name("config.json")),
        None => Ok(open(path)?.config().clone()),
    }
}

/// Loads the model in `path` onto `device`, its weights in `dtype`: a `.gguf` file, an HF
/// checkpoint, or a burnpack written by `gemma convert`.
pub fn load_model(path: &Path, device: &Device, dtype: DType) -> anyhow::Result<Gemma3> {
    if let Some(bpk) = burnpack::find(path) {
        return burnpack::load(&bpk, device, dtype);
    }
    let src = open(path)?;
    build(src.config(), Some(src.as_ref()), device, dtype)
}

/// Assembles the model with weights from `src`, checking every tensor's shape against the
/// config; with no source the parameters are left uninitialised, for a store to fill.
pub fn build(
    cfg: &Gemma3Config,
    src: Option<&dyn WeightSource>,
    device: &Device,
    dtype: DType,
) -> anyhow::Result<Gemma3> {
    let opts = (device, dtype);
    let (d, hd, ff) = (cfg.hidden_size, cfg.head_dim, cfg.intermediate_size);
    let get = |name: &str, shape: &[usize]| -> anyhow::Result<Option<Vec<f32>>> {
        let Some(src) = src else { return Ok(None) };
        let (got, values) = src.load(name)?;
        if got != shape {
            bail!(
                "{}: tensor {name} has shape {got:?}, expected {shape:?}",
                src.path().display()
            );
        }
        Ok(Some(values))
    };
    let norm = |name: &str, n: usize| -> anyhow::Result<RmsNorm> {
        let w = match get(name, &[n])? {
            Some(v) => Tensor::from_data(TensorData::new(v, [n]), opts),
            None => Tensor::empty([n], opts),
        };
        Ok(RmsNorm::new(w, cfg.rms_norm_eps))
    };
    // HF linear weights are [out, in]; Burn's Linear multiplies by [in, out].
    let linear = |name: &str, out: usize, inp: usize| -> anyhow::Result<Linear> {
        let w = match get(name, &[out, inp])? {
            Some(v) => Tensor::from_data(
                TensorData::new(crate::host::transpose(&v, out, inp), [inp, out]),
                opts,
            ),
            None => Tensor::empty([inp, out], opts),
        };
        Ok(Linear {
            weight: Param::from_tensor(w),
            bias: None,
        })
    };

    let embed_tokens = match get("model.embed_tokens.weight", &[cfg.vocab_size, d])? {
        Some(v) => TiedEmbedding::from_values(&v, cfg.vocab_size, d, opts),
        None => TiedEmbedding::empty(cfg.vocab_size, d, opts),
    };
    let layers = (0..cfg.num_layers)
        .map(|i| -> anyhow::Result<DecoderLayer> {
            let p = |s: &str| format!("model.layers.{i}.{s}.weight");
            Ok(DecoderLayer {
                input_layernorm: norm(&p("input_layernorm"), d)?,
                self_attn: Attention {
                    q_proj: linear(&p("self_attn.q_proj"), cfg.num_heads * hd, d)?,
                    k_proj: linear(&p("self_attn.k_proj"), cfg.num_kv_heads * hd, d)?,
                    v_proj: linear(&p("self_attn.v_proj"), cfg.num_kv_heads * hd, d)?,
                    o_proj: linear(&p("self_attn.o_proj"), d, cfg.num_heads * hd)?,
                    q_norm: norm(&p("self_attn.q_norm"), hd)?,
                    k_norm: norm(&p("self_attn.k_norm"), hd)?,
                    num_heads: cfg.num_heads,
                    num_kv_heads: cfg.num_kv_heads,
                    head_dim: hd,
                    scale: cfg.query_pre_attn_scalar.powf(-0.5),
                    softcap: cfg.attn_logit_softcapping,
                },
                post_attention_layernorm: norm(&p("post_attention_layernorm"), d)?,
                pre_feedforward_layernorm: norm(&p("pre_feedforward_layernorm"), d)?,
                mlp: FeedForward {
                    gate_proj: linear(&p("mlp.gate_proj"), ff, d)?,
                    up_proj: linear(&p("mlp.up_proj"), ff, d)?,
                    down_proj: linear(&p("mlp.down_proj"), d, ff)?,
                },
                post_feedforward_layernorm: norm(&p("post_feedforward_layernorm"), d)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let final_norm = norm("model.norm.weight", d)?;
    Ok(Gemma3::new(cfg.clone(), embed_tokens, layers, final_norm))
}
