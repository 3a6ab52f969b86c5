//! The Gemma 3 text model: scaled tied embedding, decoder layers, final norm, tied LM head.

use std::convert::Infallible;
use std::ops::Range;

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::DType;

use crate::attention::Attention;
use crate::config::Gemma3Config;
use crate::decoder_layer::DecoderLayer;
use crate::feed_forward::FeedForward;
use crate::kv_cache::KvCache;
use crate::projection::{LAYER_PROJECTIONS, Projection, layer_path};
use crate::rms_norm::RmsNorm;
use crate::rope::Rope;
use crate::tied_embedding::TiedEmbedding;

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
}

impl Gemma3Config {
    /// The model with every parameter allocated but not set, for a loader to fill in
    /// ([`crate::weights::fill`], or a burnpack store).
    pub fn init(&self, device: &Device, dtype: DType) -> Gemma3 {
        let opts = (device, dtype);
        let embedding = TiedEmbedding::empty(self.vocab_size, self.hidden_size, opts);
        let Ok(model) = self.init_with::<Infallible>(device, dtype, embedding, |_, [inp, out]| {
            Ok(Projection::Float(Linear {
                weight: Param::from_tensor(Tensor::empty([inp, out], opts)),
                bias: None,
            }))
        });
        model
    }

    /// The model with the given embedding, each projection made by `projection(path, [in, out])`
    /// (`path` as in [`Gemma3::projections`]), and the norms allocated but not set.
    pub fn init_with<E>(
        &self,
        device: &Device,
        dtype: DType,
        embed_tokens: TiedEmbedding,
        mut projection: impl FnMut(&str, [usize; 2]) -> Result<Projection, E>,
    ) -> Result<Gemma3, E> {
        let opts = (device, dtype);
        let (d, hd, ff) = (self.hidden_size, self.head_dim, self.intermediate_size);
        let (q, kv) = (self.num_heads * hd, self.num_kv_heads * hd);
        let norm = |n: usize| RmsNorm::new(Tensor::empty([n], opts), self.rms_norm_eps);
        let mut layers = Vec::with_capacity(self.num_layers);
        for i in 0..self.num_layers {
            let dims = [[d, q], [d, kv], [d, kv], [q, d], [d, ff], [d, ff], [ff, d]];
            let [
                q_proj,
                k_proj,
                v_proj,
                o_proj,
                gate_proj,
                up_proj,
                down_proj,
            ] = std::array::from_fn(|k| projection(&layer_path(i, LAYER_PROJECTIONS[k]), dims[k]));
            layers.push(DecoderLayer {
                input_layernorm: norm(d),
                self_attn: Attention {
                    q_proj: q_proj?,
                    k_proj: k_proj?,
                    v_proj: v_proj?,
                    o_proj: o_proj?,
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
                    gate_proj: gate_proj?,
                    up_proj: up_proj?,
                    down_proj: down_proj?,
                },
                post_feedforward_layernorm: norm(d),
            });
        }
        Ok(Gemma3::new(self.clone(), embed_tokens, layers, norm(d)))
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
        }
    }

    /// The float type of the weights (and so of the activations).
    pub fn dtype(&self) -> burn::tensor::DType {
        self.norm.weight.val().dtype()
    }

    pub fn device(&self) -> Device {
        self.norm.weight.val().device()
    }

    /// An empty cache for `rows` sequences.
    pub fn new_cache(&self, rows: usize) -> KvCache {
        KvCache::new(&self.config, rows)
    }

    /// Runs `tokens: [rows, seq]`, one row per cache row, each after what its row already
    /// holds, and returns the hidden states after the final norm, `[rows, seq, hidden]`.
    pub fn forward(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Tensor<3> {
        let rows = 0..cache.rows();
        self.forward_rows(tokens, cache, rows)
    }

    /// [`Gemma3::forward`] for the cache rows `rows` only (`tokens: [rows.len(), seq]`).
    pub fn forward_rows(
        &self,
        tokens: Tensor<2, Int>,
        cache: &mut KvCache,
        rows: Range<usize>,
    ) -> Tensor<3> {
        let [b, t] = tokens.dims();
        assert_eq!(b, rows.len(), "token rows and cache rows differ");
        let device = tokens.device();
        // sqrt(hidden) rounded to float32 first, as HF's scaled embedding does.
        let embed_scale = (self.config.hidden_size as f32).sqrt();
        let mut x = self
            .embed_tokens
            .embed(tokens, self.dtype())
            .mul_scalar(embed_scale);

        let step = cache.step(rows, t);
        let positions = step.positions();
        let dtype = x.dtype();
        let local = self.rope_local.tables(&positions, &device, dtype);
        let global = self.rope_global.tables(&positions, &device, dtype);
        for (i, (layer, kv)) in self.layers.iter().zip(cache.layers_mut()).enumerate() {
            let rope = if self.config.is_global(i) {
                &global
            } else {
                &local
            };
            x = layer.forward(x, rope, &step, &positions, kv);
        }
        cache.advance(&step);
        self.norm.forward(x)
    }

    /// The tied LM head: `[batch, seq, hidden] -> [batch, seq, vocab]`.
    pub fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        let [b, t, d] = hidden.dims();
        let logits = self.embed_tokens.logits(hidden.reshape([b * t, d]));
        let vocab = logits.dims()[1];
        let logits = logits.reshape([b, t, vocab]);
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
