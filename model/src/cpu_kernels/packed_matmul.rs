//! The packed kernels on a Burn tensor: its values go to the host, through the kernels, and back
//! as a tensor of the input's device and dtype.

use burn::prelude::*;
use kernels::packed::PackedMatrix;

use crate::host;

/// `x · Wᵀ` on the host with the packed kernels: `[b, t, cols] -> [b, t, rows]`.
pub fn packed_matmul(w: &PackedMatrix, x: Tensor<3>) -> Tensor<3> {
    on_host(x, w.rows(), |x, n| {
        w.matmul(x, n)
            .expect("packed matmul shapes are checked when packing")
    })
}

/// `f(values, b · t)` on the host, for `[b, t, _] -> [b, t, cols]` with the packed kernels: `f`
/// returns `b · t · cols` values.
pub fn on_host(x: Tensor<3>, cols: usize, f: impl FnOnce(&[f32], usize) -> Vec<f32>) -> Tensor<3> {
    let [b, t, _] = x.dims();
    let (device, dtype) = (x.device(), x.dtype());
    // A failed device read is a broken device: no meaningful recovery inside a forward pass.
    let values = host::to_vec(x).expect("reading activations for the packed matmul");
    let out = f(&values, b * t);
    Tensor::from_data(TensorData::new(out, [b, t, cols]), (&device, dtype))
}
