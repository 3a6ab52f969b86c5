//! Building a [`Gemma3`] from a file of weights. Every source speaks HF tensor names and HF
//! conventions (norm weights zero-centred, linear weights `[out, in]`), so GGUF and safetensors
//! checkpoints yield the same model.

pub mod burnpack;
mod gguf_source;
pub mod hf_export;
pub mod lora_adapter;
mod packing;
mod safetensors_file;
mod safetensors_source;
mod source;

pub use gguf_source::{GgufSource, gguf_name};
pub use packing::Packing;
pub use safetensors_file::SafetensorsFile;
pub use safetensors_source::SafetensorsSource;
pub use source::{EMBEDDING, WeightSource, check_fits};

use anyhow::bail;
use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::DType;
use std::path::Path;
use std::sync::Arc;

use crate::config::Gemma3Config;
use crate::gemma3::Gemma3;
use crate::projection::{LAYER_PROJECTIONS, Projection, layer_path};
use crate::rms_norm::RmsNorm;
use crate::tied_embedding::TiedEmbedding;

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
    // f32 decode-shaped matmuls use the kernel too (`threaded_matmul`): refused before any work.
    kernels::packed::Kernel::selected()?;
    if let Some(bpk) = burnpack::find(path) {
        return burnpack::load(&bpk, device, dtype);
    }
    let src = open(path)?;
    check_fits(src.config(), src.stored_bytes(), src.path())?;
    let mut model = src.config().init(device, dtype);
    fill(&mut model, src.as_ref())?;
    Ok(model)
}

/// Loads the model in `path` with every projection and the tied embedding packed as `packing`
/// says (uniform, at f32: what [`load_model`] then [`Gemma3::into_packed`] give, bit for bit; at
/// bf16 those pack the bf16-rounded weights, this the file's). From a GGUF file each matrix is
/// packed straight from its blocks, so the f32 model is never resident: peak memory is the
/// packed model plus a few MiB. Other formats go through the float model.
pub fn load_packed(
    path: &Path,
    device: &Device,
    dtype: DType,
    packing: Packing,
) -> anyhow::Result<Gemma3> {
    // A GEMMA_KERNEL this CPU cannot run is refused before any work.
    kernels::packed::Kernel::selected()?;
    let is_gguf = burnpack::find(path).is_none() && path.extension().is_some_and(|e| e == "gguf");
    if !is_gguf {
        if packing == Packing::AsShipped {
            bail!(
                "{}: as shipped (--packed gguf) runs a GGUF file's own blocks, and this is not a .gguf file",
                path.display()
            );
        }
        return packing.apply(load_model(path, device, dtype)?);
    }
    let src = GgufSource::open(path)?;
    let config = src.config();
    check_fits(config, src.stored_bytes(), src.path())?;
    let (vocab, d) = (config.vocab_size, config.hidden_size);
    let embedding = EMBEDDING;
    // Every matrix's format first, so an unsupported type is refused before any packing.
    let mut formats = std::collections::HashMap::new();
    formats.insert(embedding.to_string(), src.format(embedding, packing)?);
    for layer in 0..config.num_layers {
        for name in LAYER_PROJECTIONS {
            let name = format!("model.{}.weight", layer_path(layer, name));
            formats.insert(name.clone(), src.format(&name, packing)?);
        }
    }
    let table = src.pack(embedding, [vocab, d], formats[embedding])?;
    let mut model = config.init_with(
        device,
        dtype,
        TiedEmbedding::from_packed(table),
        |path, [inp, out]| {
            let name = format!("model.{path}.weight");
            let w = src.pack(&name, [out, inp], formats[&name])?;
            anyhow::Ok(Projection::Packed(Arc::new(w)))
        },
    )?;
    fill_norms(&mut model, &src)?;
    Ok(model)
}

/// `src`'s tensor `name` as f32, checked to have `shape`.
fn get(src: &dyn WeightSource, name: &str, shape: &[usize]) -> anyhow::Result<Vec<f32>> {
    let (got, values) = src.load(name)?;
    if got != shape {
        bail!(
            "{}: tensor {name} has shape {got:?}, expected {shape:?}",
            src.path().display()
        );
    }
    Ok(values)
}

/// Sets every parameter of `model` (as [`Gemma3Config::init`] made it) from `src`, checking each
/// tensor's shape against the parameter's.
pub fn fill(model: &mut Gemma3, src: &dyn WeightSource) -> anyhow::Result<()> {
    let device = model.device();
    let opts = (&device, model.dtype());
    // HF linear weights are [out, in]; Burn's Linear multiplies by [in, out].
    let linear = |p: &mut Projection, name: &str| -> anyhow::Result<()> {
        let [inp, out] = p.dims();
        let values = crate::host::transpose(&get(src, name, &[out, inp])?, out, inp);
        *p = Projection::Float(Linear {
            weight: Param::from_tensor(Tensor::from_data(
                TensorData::new(values, [inp, out]),
                opts,
            )),
            bias: None,
        });
        Ok(())
    };
    let (vocab, d) = (model.config.vocab_size, model.config.hidden_size);
    let table = get(src, EMBEDDING, &[vocab, d])?;
    model.embed_tokens = TiedEmbedding::from_values(&table, vocab, d, opts);
    for (path, p) in model.projections_mut() {
        linear(p, &format!("model.{path}.weight"))?;
    }
    fill_norms(model, src)
}

/// Sets every RMSNorm weight of `model` from `src`.
fn fill_norms(model: &mut Gemma3, src: &dyn WeightSource) -> anyhow::Result<()> {
    let device = model.device();
    let opts = (&device, model.dtype());
    let norm = |norm: &mut RmsNorm, name: &str| -> anyhow::Result<()> {
        let n = norm.weight.dims()[0];
        norm.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(get(src, name, &[n])?, [n]),
            opts,
        ));
        Ok(())
    };
    for (i, layer) in model.layers.iter_mut().enumerate() {
        let p = |s: &str| format!("model.layers.{i}.{s}.weight");
        let a = &mut layer.self_attn;
        norm(&mut layer.input_layernorm, &p("input_layernorm"))?;
        norm(&mut a.q_norm, &p("self_attn.q_norm"))?;
        norm(&mut a.k_norm, &p("self_attn.k_norm"))?;
        norm(
            &mut layer.post_attention_layernorm,
            &p("post_attention_layernorm"),
        )?;
        norm(
            &mut layer.pre_feedforward_layernorm,
            &p("pre_feedforward_layernorm"),
        )?;
        norm(
            &mut layer.post_feedforward_layernorm,
            &p("post_feedforward_layernorm"),
        )?;
    }
    norm(&mut model.norm, "model.norm.weight")
}
