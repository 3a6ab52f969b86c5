//! Gemma 3 self-attention: GQA, per-head RMSNorm on q and k (QK-norm), RoPE, and a sliding
//! window on the local layers (the window lives on the layer's cache).

use burn::prelude::*;
use burn::tensor::DType;
use burn::tensor::activation::softmax;

use crate::attention_mask::MaskSpec;
use crate::cpu_kernels::decode_attention;
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

/// The fused decode path (on flex) against Burn's ops, and what it leaves to them.
#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use crate::cpu_kernels::decode_attention::{MAX_QUERY_ROWS, attend};
    use crate::host;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn random(len: usize, rng: &mut StdRng) -> Vec<f32> {
        (0..len).map(|_| rng.random_range(-2.0..2.0)).collect()
    }

    #[test]
    fn flex_decode_steps_match_burns_ops_and_the_rest_is_left_to_them() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(12);
        let (b, slots, hd, group) = (3, 40, 64, 4);
        // Cache-shaped buffers, `[rows, slots, kv_heads, hd]`, read through the cache's view.
        let buffer = |rng: &mut StdRng| {
            Tensor::<4>::from_data(
                TensorData::new(random(b * slots * hd, rng), [b, slots, 1, hd]),
                &device,
            )
        };
        let (kb, vb) = (buffer(&mut rng), buffer(&mut rng));
        let view = |t: &Tensor<4>, n| t.clone().narrow(1, 0, n).swap_dims(1, 2);
        let q = Tensor::<4>::from_data(
            TensorData::new(random(b * group * hd, &mut rng), [b, 1, group, hd]),
            &device,
        );
        // Rows of lengths 7, 30 and 12 (the query is the last position) on a window of 9.
        let lens = [7usize, 30, 12];
        let queries: Vec<Vec<usize>> = lens.iter().map(|&l| vec![l - 1]).collect();
        let run = |n: usize| {
            let positions: Vec<Vec<Option<usize>>> = lens
                .iter()
                .map(|&l| (0..n).map(|s| (s < l).then_some(s)).collect())
                .collect();
            let keys = Keys {
                k: view(&kb, n),
                v: view(&vb, n),
                positions,
            };
            let mask = MaskSpec {
                queries: &queries,
                keys: &keys.positions,
                window: Some(9),
            };
            let ours = attend(&q, &keys, &mask, 0.125, None).expect("a decode step on flex");
            let burn = attend_by_ops(q.clone(), &keys, &mask, group, 0.125, None);
            (host::to_vec(ours).unwrap(), host::to_vec(burn).unwrap())
        };
        let (ours, burn) = run(30);
        let worst = ours
            .iter()
            .zip(&burn)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-5, "max |Δ| {worst} against Burn's ops");
        // Hidden slots past the longest row change no bit.
        assert_eq!(run(40).0, ours, "padding with hidden slots");

        // A prompt chunk, another dtype, autodiff: Burn's.
        let positions = vec![vec![Some(0)]; b];
        let keys = Keys {
            k: view(&kb, 1),
            v: view(&vb, 1),
            positions,
        };
        let queries = vec![vec![0]; b];
        let mask = MaskSpec {
            queries: &queries,
            keys: &keys.positions,
            window: None,
        };
        let tall = Tensor::<4>::zeros([b, 1, MAX_QUERY_ROWS + 1, hd], &device);
        assert!(
            attend(&tall, &keys, &mask, 1.0, None).is_none(),
            "a prompt chunk"
        );
        let half = q.clone().cast(DType::BF16);
        assert!(attend(&half, &keys, &mask, 1.0, None).is_none(), "bf16");
        let ad = device.clone().autodiff();
        let qa = Tensor::<4>::from_data(q.to_data(), &ad);
        assert!(attend(&qa, &keys, &mask, 1.0, None).is_none(), "autodiff");
    }
}
