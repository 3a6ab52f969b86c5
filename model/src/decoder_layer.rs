//! One Gemma 3 decoder layer with sandwich norms: each sub-block is normed before *and* after.
//!
//! `h = x + post_attn_norm(attn(input_norm(x)))`, `out = h + post_ffn_norm(ffn(pre_ffn_norm(h)))`.

use burn::prelude::*;

use crate::attention::Attention;
use crate::feed_forward::FeedForward;
use crate::kv_cache::{LayerCache, Step};
use crate::rms_norm::RmsNorm;
use crate::rope::RopeTables;

#[derive(Module, Debug)]
pub struct DecoderLayer {
    pub input_layernorm: RmsNorm,
    pub self_attn: Attention,
    pub post_attention_layernorm: RmsNorm,
    pub pre_feedforward_layernorm: RmsNorm,
    pub mlp: FeedForward,
    pub post_feedforward_layernorm: RmsNorm,
}

impl DecoderLayer {
    /// `[batch, seq, hidden] -> [batch, seq, hidden]`.
    pub fn forward(
        &self,
        x: Tensor<3>,
        rope: &RopeTables,
        step: &Step,
        queries: &[Vec<usize>],
        cache: &mut LayerCache,
    ) -> Tensor<3> {
        let attn = self.self_attn.forward(
            self.input_layernorm.forward(x.clone()),
            rope,
            step,
            queries,
            cache,
        );
        let h = x + self.post_attention_layernorm.forward(attn);
        let ffn = self
            .mlp
            .forward(self.pre_feedforward_layernorm.forward(h.clone()));
        h + self.post_feedforward_layernorm.forward(ffn)
    }
}
