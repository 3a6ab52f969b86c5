//! GeGLU feed-forward: `down(gelu_tanh(gate(x)) * up(x))`.

use burn::prelude::*;

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
        let gate = gelu_tanh(self.gate_proj.forward(x.clone()));
        self.down_proj.forward(gate * self.up_proj.forward(x))
    }
}

/// GELU, tanh approximation (HF's `gelu_pytorch_tanh`):
/// `0.5·x·(1 + tanh(u))` with `u = √(2/π)·(x + 0.044715·x³)`, computed as the equal
/// `x·sigmoid(2u)`. On the CPU backends tanh is one libm `tanhf` per element (11 % of a packed
/// prefill) where sigmoid is an `expf`, and `x³` is multiplications, not Burn's `powf`.
fn gelu_tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    const TWO_SQRT_2_OVER_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::SQRT_2;
    let two_u = (x.clone() * x.clone())
        .mul_scalar(0.044715 * TWO_SQRT_2_OVER_PI)
        .add_scalar(TWO_SQRT_2_OVER_PI)
        * x.clone();
    x * burn::tensor::activation::sigmoid(two_u)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the formula in f64, over the range where the tanh bends.
    #[test]
    fn gelu_tanh_matches_its_definition() {
        let device = Device::default();
        let xs: Vec<f32> = (-80..=80).map(|i| i as f32 * 0.1).collect();
        let input = Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &device);
        let got = crate::host::to_vec(gelu_tanh(input));
        for (&x, g) in xs.iter().zip(got.unwrap()) {
            let x = x as f64;
            let inner = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x.powi(3));
            let want = 0.5 * x * (1.0 + inner.tanh());
            assert!(
                (g as f64 - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "{x}: {g} vs {want}"
            );
        }
    }
}
