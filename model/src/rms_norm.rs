//! Gemma's RMSNorm: `x * rsqrt(mean(x²) + eps) * (1 + w)`, in float32.

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::DType;

/// `weight` holds the HF value `w` (zero-centred); the multiplier is `1 + w`.
/// llama.cpp's GGUF stores `1 + w`, so its loader subtracts the 1 back.
#[derive(Module, Debug)]
pub struct RmsNorm {
    pub weight: Param<Tensor<1>>,
    pub eps: f64,
}

impl RmsNorm {
    pub fn new(weight: Tensor<1>, eps: f64) -> Self {
        Self {
            weight: Param::from_tensor(weight),
            eps,
        }
    }

    /// Normalises over the last dimension: `[..., d] -> [..., d]`, in float32 whatever the
    /// activations' type (as HF does for bf16 models).
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let dtype = x.dtype();
        let x = x.cast(DType::F32);
        let mean_sq = x.clone().square().mean_dim(D - 1);
        let scale = self
            .weight
            .val()
            .cast(DType::F32)
            .add_scalar(1.0)
            .unsqueeze::<D>();
        (x * mean_sq.add_scalar(self.eps).sqrt().recip() * scale).cast(dtype)
    }
}
