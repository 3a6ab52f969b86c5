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
/// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`. Burn's `gelu_approximate` computes x³ with
/// `powf`, one libm call per element on the CPU backends (6 % of a packed prefill); here the
/// same polynomial is `x·(1 + 0.044715·x²)`, multiplications only.
fn gelu_tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    const SQRT_2_OVER_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2;
    let cubic = (x.clone() * x.clone()).mul_scalar(0.044715).add_scalar(1.0) * x.clone();
    (x * (cubic.mul_scalar(SQRT_2_OVER_PI).tanh() + 1)).mul_scalar(0.5)
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
