//! The Gemma 3 text model: scaled tied embedding, decoder layers, final norm, tied LM head.

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::DType;

use crate::attention::{Attention, StepInfo};
use crate::config::Gemma3Config;
use crate::decoder_layer::DecoderLayer;
use crate::feed_forward::FeedForward;
use crate::kv_cache::KvCache;
use crate::packed_inference::{PackedWeights, packed_matmul};
use crate::rms_norm::RmsNorm;
use crate::rope::Rope;
use crate::tied_embedding::TiedEmbedding;
use std::sync::Arc;

#[derive(Module, Debug)]
pub struct Gemma3 {
    /// `[vocab, hidden]`; also the LM head (tied).
    pub embed_tokens: TiedEmbedding,
    pub layers: Vec<DecoderLayer>,
    pub norm: RmsNorm,
    #[module(skip)]
    pub config: Gemma3Config,
    #[module(skip)]
    rope_local: Rope,
    #[module(skip)]
    rope_global: Rope,
    /// Packed copies of the projections for inference (see [`crate::packed_inference`]).
    #[module(skip)]
    pub packed: Option<Arc<PackedWeights>>,
}

impl Gemma3Config {
    /// The model with every parameter allocated but not set, for a loader to fill in
    /// ([`crate::weights::fill`], or a burnpack store).
    pub fn init(&self, device: &Device, dtype: DType) -> Gemma3 {
        let opts = (device, dtype);
        let (d, hd, ff) = (self.hidden_size, self.head_dim, self.intermediate_size);
        let norm = |n: usize| RmsNorm::new(Tensor::empty([n], opts), self.rms_norm_eps);
        let linear = |inp: usize, out: usize| Linear {
            weight: Param::from_tensor(Tensor::empty([inp, out], opts)),
            bias: None,
        };
        let layers = (0..self.num_layers)
            .map(|_| DecoderLayer {
                input_layernorm: norm(d),
                self_attn: Attention {
                    q_proj: linear(d, self.num_heads * hd),
                    k_proj: linear(d, self.num_kv_heads * hd),
                    v_proj: linear(d, self.num_kv_heads * hd),
                    o_proj: linear(self.num_heads * hd, d),
                    q_norm: norm(hd),
                    k_norm: norm(hd),
                    num_heads: self.num_heads,
                    num_kv_heads: self.num_kv_heads,
                    head_dim: hd,
                    scale: self.query_pre_attn_scalar.powf(-0.5),
                    softcap: self.attn_logit_softcapping,
                },
                post_attention_layernorm: norm(d),
                pre_feedforward_layernorm: norm(d),
                mlp: FeedForward {
                    gate_proj: linear(d, ff),
                    up_proj: linear(d, ff),
                    down_proj: linear(ff, d),
                },
                post_feedforward_layernorm: norm(d),
            })
            .collect();
        let embed_tokens = TiedEmbedding::empty(self.vocab_size, d, opts);
        Gemma3::new(self.clone(), embed_tokens, layers, norm(d))
    }
}

impl Gemma3 {
    pub fn new(
        config: Gemma3Config,
        embed_tokens: TiedEmbedding,
        layers: Vec<DecoderLayer>,
        norm: RmsNorm,
    ) -> Self {
        let rope_local = Rope::new(config.head_dim, config.rope_theta_local, 1.0);
        let rope_global = Rope::new(
            config.head_dim,
            config.rope_theta_global,
            config.rope_scaling_global,
        );
        Self {
            embed_tokens,
            layers,
            norm,
            config,
            rope_local,
            rope_global,
            packed: None,
        }
    }

    /// The float type of the weights (and so of the activations).
    pub fn dtype(&self) -> burn::tensor::DType {
        self.embed_tokens.chunks[0].val().dtype()
    }

    pub fn device(&self) -> Device {
        self.embed_tokens.chunks[0].val().device()
    }

    /// A fresh cache for a batch whose rows carry `pads[b]` leading pad tokens.
    pub fn new_cache(&self, pads: Vec<usize>) -> KvCache {
        KvCache::new(self.layers.len(), pads)
    }

    /// Runs `tokens: [batch, seq]` after what `cache` already holds and returns the hidden
    /// states after the final norm, `[batch, seq, hidden]`.
    pub fn forward(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Tensor<3> {
        let [b, t] = tokens.dims();
        assert_eq!(b, cache.batch_size(), "token batch and cache batch differ");
        let device = tokens.device();
        // sqrt(hidden) rounded to float32 first, as HF's scaled embedding does.
        let embed_scale = (self.config.hidden_size as f32).sqrt();
        let mut x = self.embed_tokens.embed(tokens).mul_scalar(embed_scale);

        let positions = cache.positions(t);
        let dtype = x.dtype();
        let local = self.rope_local.tables(&positions, &device, dtype);
        let global = self.rope_global.tables(&positions, &device, dtype);
        let step = StepInfo {
            pads: &cache.pads,
            q_start: cache.len,
        };
        for (i, (layer, kv)) in self.layers.iter().zip(cache.layers.iter_mut()).enumerate() {
            let (rope, window) = if self.config.is_global(i) {
                (&global, None)
            } else {
                (&local, Some(self.config.sliding_window))
            };
            let packed = self.packed.as_deref().map(|p| &p.layers[i]);
            x = layer.forward(x, rope, window, &step, kv, packed);
        }
        cache.len += t;
        self.norm.forward(x)
    }

    /// The tied LM head: `[batch, seq, hidden] -> [batch, seq, vocab]`.
    pub fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        let [b, t, d] = hidden.dims();
        let logits = match self.packed.as_deref().and_then(|p| p.lm_head.as_ref()) {
            Some(head) => packed_matmul(head, hidden),
            None => {
                let logits = self.embed_tokens.logits(hidden.reshape([b * t, d]));
                let vocab = logits.dims()[1];
                logits.reshape([b, t, vocab])
            }
        };
        match self.config.final_logit_softcapping {
            Some(cap) => logits.div_scalar(cap).tanh().mul_scalar(cap),
            None => logits,
        }
    }

    /// Logits at the last position only, `[batch, vocab]`: what generation needs.
    pub fn last_logits(&self, hidden: Tensor<3>) -> Tensor<2> {
        let [b, t, d] = hidden.dims();
        let last = hidden.slice([0..b, t - 1..t, 0..d]);
        self.logits(last).squeeze_dim(1)
    }
}
