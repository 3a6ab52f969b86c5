//! Gemma 3 self-attention: GQA, per-head RMSNorm on q and k (QK-norm), RoPE, and a sliding
//! window on the local layers.

use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::DType;
use burn::tensor::activation::softmax;

use crate::attention_mask::MaskSpec;
use crate::kv_cache::LayerKv;
use crate::packed_inference::{PackedLayer, project};
use crate::rms_norm::RmsNorm;
use crate::rope::RopeTables;

#[derive(Module, Debug)]
pub struct Attention {
    pub q_proj: Linear,
    pub k_proj: Linear,
    pub v_proj: Linear,
    pub o_proj: Linear,
    pub q_norm: RmsNorm,
    pub k_norm: RmsNorm,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub head_dim: usize,
    /// `query_pre_attn_scalar^-0.5`.
    pub scale: f64,
    /// Softcapping of the scores (`None` for Gemma 3; kept for Gemma 2-style configs).
    pub softcap: Option<f64>,
}

/// What one forward step shares across layers.
pub struct StepInfo<'a> {
    pub pads: &'a [usize],
    /// Slot of the first query token.
    pub q_start: usize,
}

impl Attention {
    /// `x: [batch, seq, hidden] -> [batch, seq, hidden]`; appends this step's keys and values to
    /// `cache` (and trims it to the window on sliding layers).
    pub fn forward(
        &self,
        x: Tensor<3>,
        rope: &RopeTables,
        window: Option<usize>,
        step: &StepInfo,
        cache: &mut LayerKv,
        packed: Option<&PackedLayer>,
    ) -> Tensor<3> {
        let [b, t, _] = x.dims();
        let (h, kvh, hd) = (self.num_heads, self.num_kv_heads, self.head_dim);
        let group = h / kvh;

        let heads = |y: Tensor<3>, n: usize| y.reshape([b, t, n, hd]).swap_dims(1, 2);
        let q = rope.apply(self.q_norm.forward(heads(
            project(&self.q_proj, packed.map(|p| &p.q), x.clone()),
            h,
        )));
        let k = rope.apply(self.k_norm.forward(heads(
            project(&self.k_proj, packed.map(|p| &p.k), x.clone()),
            kvh,
        )));
        let v = heads(project(&self.v_proj, packed.map(|p| &p.v), x), kvh);

        let (k, v, k_start) = cache.append(k, v);
        let k_len = k.dims()[2];

        // GQA without copying keys: the `group` query heads of one key head become extra rows,
        // [b, h, t, hd] -> [b, kvh, group * t, hd] (query head = kv_head * group + g, as HF repeats).
        let q = q.reshape([b, kvh, group * t, hd]);
        let mut scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(self.scale);
        if let Some(cap) = self.softcap {
            scores = scores.div_scalar(cap).tanh().mul_scalar(cap);
        }
        let spec = MaskSpec {
            pads: step.pads,
            q_start: step.q_start,
            q_len: t,
            k_start,
            k_len,
            window,
        };
        // Softmax in f32 whatever the activations' type, as HF does.
        let mut scores = scores.cast(DType::F32);
        if let Some(mask) = spec.build(group, &scores.device()) {
            scores = scores + mask;
        }
        let out = softmax(scores, 3).cast(v.dtype()).matmul(v); // [b, kvh, group * t, hd]
        if let Some(w) = window {
            cache.truncate_front(w - 1);
        }
        let out = out
            .reshape([b, h, t, hd])
            .swap_dims(1, 2)
            .reshape([b, t, h * hd]);
        project(&self.o_proj, packed.map(|p| &p.o), out)
    }
}
