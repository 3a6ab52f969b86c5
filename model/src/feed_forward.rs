//! GeGLU feed-forward: `down(gelu_tanh(gate(x)) * up(x))`.

use burn::prelude::*;
use rayon::prelude::*;

use crate::cpu_kernels::packed_matmul::on_host;
use crate::projection::Projection;
use kernels::packed::PackedMatrix;

#[derive(Module, Debug)]
pub struct FeedForward {
    pub gate_proj: Projection,
    pub up_proj: Projection,
    pub down_proj: Projection,
}

impl FeedForward {
    /// `[batch, seq, hidden] -> [batch, seq, hidden]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        if let (Projection::Packed(gate), Projection::Packed(up), Projection::Packed(down)) =
            (&self.gate_proj, &self.up_proj, &self.down_proj)
        {
            return on_host(x, down.rows(), |x, n| packed_geglu(gate, up, down, x, n));
        }
        let gate = gelu_tanh(self.gate_proj.forward(x.clone()));
        self.down_proj.forward(gate * self.up_proj.forward(x))
    }
}

/// Values per task of the host GeGLU.
const GEGLU_CHUNK: usize = 16 * 1024;

/// The packed layer on the host, `[n, hidden]` values in and out: `x` is quantized once for
/// gate and up, and `gelu_tanh(gate) · up` is one pass on rayon's pool (on a CPU backend Burn's
/// element-wise ops run on one thread, one tensor per step), with the same f32 operations as
/// [`gelu_tanh`] on flex.
fn packed_geglu(
    gate: &PackedMatrix,
    up: &PackedMatrix,
    down: &PackedMatrix,
    x: &[f32],
    n: usize,
) -> Vec<f32> {
    const SHAPES: &str = "packed matmul shapes are checked when packing";
    let [mut h, up] = PackedMatrix::matmul_each([gate, up], x, n).expect(SHAPES);
    h.par_chunks_mut(GEGLU_CHUNK)
        .zip(up.par_chunks(GEGLU_CHUNK))
        .for_each(|(h, up)| {
            for (h, &u) in h.iter_mut().zip(up) {
                *h = gelu_tanh_f32(*h) * u;
            }
        });
    down.matmul(&h, n).expect(SHAPES)
}

/// `√(2/π)·2`, the factor of `2u` in [`gelu_tanh`].
const TWO_SQRT_2_OVER_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::SQRT_2;

/// [`gelu_tanh`] of one value, operation for operation as flex evaluates the tensor version
/// (its scalars rounded to f32, its sigmoid split by sign), so the two give the same bits there.
fn gelu_tanh_f32(x: f32) -> f32 {
    let two_u = ((x * x) * (0.044715 * TWO_SQRT_2_OVER_PI) as f32 + TWO_SQRT_2_OVER_PI as f32) * x;
    let sigmoid = if two_u >= 0.0 {
        1.0 / (1.0 + (-two_u).exp())
    } else {
        let e = two_u.exp();
        e / (1.0 + e)
    };
    x * sigmoid
}

/// GELU, tanh approximation (HF's `gelu_pytorch_tanh`):
/// `0.5·x·(1 + tanh(u))` with `u = √(2/π)·(x + 0.044715·x³)`, computed as the equal
/// `x·sigmoid(2u)`. On the CPU backends tanh is one libm `tanhf` per element (11 % of a packed
/// prefill) where sigmoid is an `expf`, and `x³` is multiplications, not Burn's `powf`.
fn gelu_tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
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
