//! GeGLU feed-forward: `down(gelu_tanh(gate(x)) * up(x))`.

use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::gelu_approximate;

use crate::packed_inference::{PackedLayer, project};

#[derive(Module, Debug)]
pub struct FeedForward {
    pub gate_proj: Linear,
    pub up_proj: Linear,
    pub down_proj: Linear,
}

impl FeedForward {
    /// `[batch, seq, hidden] -> [batch, seq, hidden]`; `packed` replaces the float projections.
    pub fn forward(&self, x: Tensor<3>, packed: Option<&PackedLayer>) -> Tensor<3> {
        let gate = gelu_approximate(project(&self.gate_proj, packed.map(|p| &p.gate), x.clone()));
        project(
            &self.down_proj,
            packed.map(|p| &p.down),
            gate * project(&self.up_proj, packed.map(|p| &p.up), x),
        )
    }
}
