//! Inference with the weights kept packed (int8/int4 blocks, see [`crate::packed`]): the layers'
//! projections and the tied LM head run through the packed CPU kernels instead of a float matmul,
//! so a decode step reads 4.5–8.5 bits per weight instead of 32. Inference only (no gradients).

use anyhow::Context;
use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;

use crate::gemma3::Gemma3;
use crate::host;
use crate::packed::{PackedFormat, PackedMatrix};

/// The seven projections of one decoder layer.
#[derive(Clone, Debug)]
pub struct PackedLayer {
    pub q: PackedMatrix,
    pub k: PackedMatrix,
    pub v: PackedMatrix,
    pub o: PackedMatrix,
    pub gate: PackedMatrix,
    pub up: PackedMatrix,
    pub down: PackedMatrix,
}

#[derive(Clone, Debug)]
pub struct PackedWeights {
    pub format: PackedFormat,
    pub layers: Vec<PackedLayer>,
    /// `[vocab, hidden]`; `None` keeps the LM head in float.
    pub lm_head: Option<PackedMatrix>,
}

impl PackedWeights {
    pub fn bytes(&self) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                [&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down]
                    .iter()
                    .map(|m| m.bytes())
                    .sum::<usize>()
            })
            .sum();
        layers + self.lm_head.as_ref().map_or(0, PackedMatrix::bytes)
    }
}

/// `linear(x)`, or the packed matrix's product when there is one: `[b, t, in] -> [b, t, out]`.
pub fn project(linear: &Linear, packed: Option<&PackedMatrix>, x: Tensor<3>) -> Tensor<3> {
    match packed {
        None => linear.forward(x),
        Some(w) => packed_matmul(w, x),
    }
}

/// `x · Wᵀ` on the host with the packed kernels: `[b, t, cols] -> [b, t, rows]`.
pub fn packed_matmul(w: &PackedMatrix, x: Tensor<3>) -> Tensor<3> {
    let [b, t, _] = x.dims();
    let (device, dtype) = (x.device(), x.dtype());
    // Shapes were checked when packing, and a failed device read is a broken device: no
    // meaningful recovery inside a forward pass.
    let values = host::to_vec(x).expect("reading activations for the packed matmul");
    let out = w
        .matmul(&values, b * t)
        .expect("packed matmul shapes are checked when packing");
    Tensor::from_data(TensorData::new(out, [b, t, w.rows()]), (&device, dtype))
}

/// A Linear's weight as row-major `[out, in]` values (Burn stores `[in, out]`).
fn weight_out_in(linear: &Linear) -> anyhow::Result<(Vec<f32>, usize, usize)> {
    let w = linear.weight.val();
    let [inp, out] = w.dims();
    let values = host::to_vec(w.transpose())?;
    Ok((values, out, inp))
}

fn pack(linear: &mut Linear, format: PackedFormat) -> anyhow::Result<PackedMatrix> {
    let (values, rows, cols) = weight_out_in(linear)?;
    let m = PackedMatrix::quantize(&values, rows, cols, format)?;
    // The float copy is no longer read; keep a placeholder so memory holds only the packed one.
    let device = linear.weight.val().device();
    linear.weight = Param::from_tensor(Tensor::zeros([1, 1], &device));
    Ok(m)
}

impl Gemma3 {
    /// Packs every projection (and the LM head with `lm_head`) in `format` for inference.
    pub fn into_packed(mut self, format: PackedFormat, lm_head: bool) -> anyhow::Result<Gemma3> {
        let mut layers = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter_mut().enumerate() {
            let (a, f) = (&mut l.self_attn, &mut l.mlp);
            layers.push(
                (|| -> anyhow::Result<PackedLayer> {
                    Ok(PackedLayer {
                        q: pack(&mut a.q_proj, format)?,
                        k: pack(&mut a.k_proj, format)?,
                        v: pack(&mut a.v_proj, format)?,
                        o: pack(&mut a.o_proj, format)?,
                        gate: pack(&mut f.gate_proj, format)?,
                        up: pack(&mut f.up_proj, format)?,
                        down: pack(&mut f.down_proj, format)?,
                    })
                })()
                .with_context(|| format!("packing layer {i}"))?,
            );
        }
        let lm_head = if lm_head {
            let table = self.embed_tokens.to_host()?;
            Some(
                PackedMatrix::quantize(
                    &table,
                    self.config.vocab_size,
                    self.config.hidden_size,
                    format,
                )
                .context("packing the LM head")?,
            )
        } else {
            None
        };
        self.packed = Some(std::sync::Arc::new(PackedWeights {
            format,
            layers,
            lm_head,
        }));
        Ok(self)
    }
}
