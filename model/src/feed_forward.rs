//! GeGLU feed-forward: `down(gelu_tanh(gate(x)) * up(x))`.

use burn::prelude::*;
use burn::tensor::activation::gelu_approximate;

use crate::projection::Projection;

#[derive(Module, Debug)]
pub struct FeedForward {
    pub gate_proj: Projection,
    pub up_proj: Projection,
    pub down_proj: Projection,
}

impl FeedForward {
    /// `[batch, seq, hidden] -> [batch, seq, hidden]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let gate = gelu_approximate(self.gate_proj.forward(x.clone()));
        self.down_proj.forward(gate * self.up_proj.forward(x))
    }
}
