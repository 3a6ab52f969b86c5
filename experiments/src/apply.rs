//! Turning the f32 reference model into a variant at load time.
//!
//! Simulated variants go through Burn's own quantization on the flex backend, the one CPU
//! backend that implements every scheme (ndarray only int8 per tensor, tch none; see
//! `shared/docs/burn-0.22-notes.md`): `quantize_dynamic` (min-max, symmetric) then
//! `dequantize`, so the model on any backend carries exactly Burn's rounding error while its
//! matmuls stay f32. Blocks run along each weight's input dimension, as in GGUF and the packed
//! kernels.

use anyhow::{Context, Result, bail};
use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::quantization::{QuantScheme, QuantStore, QuantValue, ScaleDtype};
use model::projection::{LM_HEAD, Projection};
use model::tied_embedding::TiedEmbedding;
use model::{BackendKind, Gemma3, host};

use crate::variant::{Execution, Format, Variant, WeightCounts};

/// The Burn scheme of an integer format.
pub fn scheme(format: Format) -> Result<QuantScheme> {
    let value = |bits| match bits {
        8 => Ok(QuantValue::Q8S),
        4 => Ok(QuantValue::Q4S),
        // Symmetric 2-bit is ternary {-1, 0, 1}·scale.
        2 => Ok(QuantValue::Q2S),
        _ => bail!("no {bits}-bit integer scheme"),
    };
    let base = QuantScheme::default().with_store(QuantStore::Native);
    Ok(match format {
        Format::IntTensor { bits } => base.with_value(value(bits)?).per_tensor(ScaleDtype::F32),
        Format::IntBlock { bits, block } => base
            .with_value(value(bits)?)
            .per_block([u8::try_from(block)?], ScaleDtype::F32),
        _ => bail!("{format:?} is not an integer format"),
    })
}

/// Row-major `[rows, cols]` values quantized and dequantized by Burn on flex (blocks along rows).
pub fn simulate(
    values: Vec<f32>,
    rows: usize,
    cols: usize,
    scheme: &QuantScheme,
) -> Result<Vec<f32>> {
    let flex = BackendKind::Flex
        .device()
        .context("simulated quantization runs on Burn's flex backend")?;
    let t = Tensor::<2>::from_data(TensorData::new(values, [rows, cols]), &flex);
    // Burn panics on schemes a backend lacks; the sweep records a panic as this variant's failure.
    host::to_vec(t.quantize_dynamic(scheme).dequantize())
}

fn simulate_projection(linear: &Linear, scheme: &QuantScheme) -> Result<Projection> {
    let w = linear.weight.val();
    let (device, dtype) = (w.device(), w.dtype());
    let [inp, out] = w.dims();
    // Burn's weight is [in, out]; quantize it as [out, in] so blocks run along the input, then
    // store it [in, out] again in contiguous memory (a transposed view slows every matmul ~3x).
    let values = simulate(host::to_vec(w.transpose())?, out, inp, scheme)?;
    let q = Tensor::<2>::from_data(
        TensorData::new(host::transpose(&values, out, inp), [inp, out]),
        (&device, dtype),
    );
    Ok(Projection::Float(Linear {
        weight: Param::from_tensor(q),
        bias: None,
    }))
}

/// The whole table at once, so a per-tensor scale covers all of it (not each device chunk).
fn simulate_embedding(model: &mut Gemma3, scheme: &QuantScheme) -> Result<()> {
    let (vocab, hidden) = (model.config.vocab_size, model.config.hidden_size);
    let values = simulate(model.embed_tokens.to_host()?, vocab, hidden, scheme)?;
    model.embed_tokens =
        TiedEmbedding::from_values(&values, vocab, hidden, (&model.device(), model.dtype()));
    Ok(())
}

/// The variant's model from the f32 reference `base` (bf16/f16 are loaded by the caller, as
/// the float models are whole loads in their own dtype).
pub fn quantize(base: &Gemma3, variant: &Variant) -> Result<Gemma3> {
    let mut model = base.clone();
    match variant.execution {
        Execution::Float => {}
        Execution::Simulated => {
            let scheme = scheme(variant.format)?;
            model.map_projections(
                |_| true,
                |path, p| simulate_projection(p.float(path)?, &scheme),
            )?;
            if variant.embedding {
                simulate_embedding(&mut model, &scheme).context("quantizing the embedding")?;
            }
        }
        Execution::Packed => {
            let format = variant.packed_format().context("not a packed format")?;
            model = model.into_packed(format, |path| path != LM_HEAD)?;
            if let Some(embedding) = variant.packed_embedding() {
                model = model.into_packed(embedding, |path| path == LM_HEAD)?;
            }
        }
    }
    Ok(model)
}

/// Bits per weight the packed `model` holds: its packed matrices as stored, the rest f32.
pub fn stored_bits_per_weight(model: &Gemma3) -> f64 {
    let counts = weight_counts(model);
    let float: usize = model
        .projections()
        .filter(|(_, p)| matches!(p, Projection::Float(_)))
        .map(|(_, p)| p.dims().iter().product::<usize>())
        .sum();
    let embedding = if model.embed_tokens.packed.is_some() {
        0
    } else {
        counts.embedding
    };
    let bits = model.packed_bytes() as f64 * 8.0 + 32.0 * (float + embedding + counts.other) as f64;
    bits / counts.total() as f64
}

/// The model's weights by role.
pub fn weight_counts(model: &Gemma3) -> WeightCounts {
    let c = &model.config;
    let embedding = c.vocab_size * c.hidden_size;
    let per_layer = c.hidden_size * c.head_dim * (2 * c.num_heads + 2 * c.num_kv_heads)
        + 3 * c.hidden_size * c.intermediate_size;
    let projections = c.num_layers * per_layer;
    // Six norms per layer (four of width `hidden`, q/k of width `head_dim`) and the final one.
    let other = c.num_layers * (4 * c.hidden_size + 2 * c.head_dim) + c.hidden_size;
    WeightCounts {
        embedding,
        projections,
        other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Burn's block scheme, checked against its definition: within each block of 32 along a
    /// row, every value is an integer multiple of the block's scale max|x|/7, at most 7 of them.
    #[test]
    fn simulated_int4_blocks_follow_rows() {
        let (rows, cols) = (4, 64);
        let values: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0)
            .collect();
        let q = simulate(
            values.clone(),
            rows,
            cols,
            &scheme(Format::IntBlock { bits: 4, block: 32 }).unwrap(),
        )
        .unwrap();
        for (b, (x, y)) in values.chunks(32).zip(q.chunks(32)).enumerate() {
            let scale = x.iter().fold(0f32, |m, v| m.max(v.abs())) / 7.0;
            for (xv, yv) in x.iter().zip(y) {
                let level = yv / scale;
                assert!(
                    (level - level.round()).abs() < 1e-4 && level.abs() <= 7.0 + 1e-4,
                    "block {b}: {yv} is not a level of {scale}"
                );
                assert!(
                    (xv - yv).abs() <= scale / 2.0 + 1e-5,
                    "block {b}: {xv} -> {yv}"
                );
            }
        }
    }

    #[test]
    fn per_tensor_int8_uses_one_scale() {
        let values: Vec<f32> = (0..256).map(|i| (i as f32 - 100.0) / 3.0).collect();
        let q = simulate(
            values.clone(),
            2,
            128,
            &scheme(Format::IntTensor { bits: 8 }).unwrap(),
        )
        .unwrap();
        let scale = 155.0 / 3.0 / 127.0;
        for (x, y) in values.iter().zip(&q) {
            assert!(((y / scale) - (y / scale).round()).abs() < 1e-3);
            assert!((x - y).abs() <= scale / 2.0 + 1e-5);
        }
    }
}
