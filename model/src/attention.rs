//! Gemma 3 self-attention: GQA, per-head RMSNorm on q and k (QK-norm), RoPE, and a sliding
//! window on the local layers (the window lives on the layer's cache).

use burn::prelude::*;
use burn::tensor::DType;
use burn::tensor::activation::softmax;

use crate::attention_mask::MaskSpec;
use crate::decode_attention;
use crate::kv_cache::{Keys, LayerCache, Step};
use crate::projection::Projection;
use crate::rms_norm::RmsNorm;
use crate::rope::RopeTables;

#[derive(Module, Debug)]
pub struct Attention {
    pub q_proj: Projection,
    pub k_proj: Projection,
    pub v_proj: Projection,
    pub o_proj: Projection,
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

impl Attention {
    /// `x: [batch, seq, hidden] -> [batch, seq, hidden]`; stores this step's keys and values in
    /// `cache`.
    pub fn forward(
        &self,
        x: Tensor<3>,
        rope: &RopeTables,
        step: &Step,
        queries: &[Vec<usize>],
        cache: &mut LayerCache,
    ) -> Tensor<3> {
        let [b, t, _] = x.dims();
        let (h, kvh, hd) = (self.num_heads, self.num_kv_heads, self.head_dim);
        let group = h / kvh;

        let heads = |y: Tensor<3>, n: usize| y.reshape([b, t, n, hd]).swap_dims(1, 2);
        let q = rope.apply(
            self.q_norm
                .forward(heads(self.q_proj.forward(x.clone()), h)),
        );
        let k = rope.apply(
            self.k_norm
                .forward(heads(self.k_proj.forward(x.clone()), kvh)),
        );
        let v = heads(self.v_proj.forward(x), kvh);

        let keys = cache.attend(k, v, step);

        // GQA without copying keys: the `group` query heads of one key head become extra rows,
        // [b, h, t, hd] -> [b, kvh, group * t, hd] (query head = kv_head * group + g, as HF repeats).
        let q = q.reshape([b, kvh, group * t, hd]);
        let mask = MaskSpec {
            queries,
            keys: &keys.positions,
            window: cache.window(),
        };
        let (scale, softcap) = (self.scale, self.softcap);
        let fused =
            decode_attention::attend(&q, &keys, &mask, scale as f32, softcap.map(|c| c as f32));
        let out = fused.unwrap_or_else(|| attend_by_ops(q, &keys, &mask, group, scale, softcap));
        let out = out
            .reshape([b, h, t, hd])
            .swap_dims(1, 2)
            .reshape([b, t, h * hd]);
        self.o_proj.forward(out)
    }
}

/// Burn's ops, what every backend runs: `softmax(q·kᵀ·scale + mask)·v` for `q: [b, kvh, group *
/// t, hd]`, `-> [b, kvh, group * t, hd]` (on flex, [`decode_attention`] fuses decode steps).
pub fn attend_by_ops(
    q: Tensor<4>,
    keys: &Keys,
    mask: &MaskSpec,
    group: usize,
    scale: f64,
    softcap: Option<f64>,
) -> Tensor<4> {
    let mut scores = q.matmul(keys.k.clone().swap_dims(2, 3)).mul_scalar(scale);
    if let Some(cap) = softcap {
        scores = scores.div_scalar(cap).tanh().mul_scalar(cap);
    }
    // Softmax in f32 whatever the activations' type, as HF does.
    let mut scores = scores.cast(DType::F32);
    if let Some(mask) = mask.build(group, &scores.device()) {
        scores = scores + mask;
    }
    softmax(scores, 3)
        .cast(keys.v.dtype())
        .matmul(keys.v.clone())
}
