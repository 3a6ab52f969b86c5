//! Moving token ids to the device and logits back to the host.

use burn::prelude::*;

/// `[rows, cols]` token ids on `device` (row-major `ids`).
pub fn tokens(ids: &[u32], rows: usize, device: &Device) -> Tensor<2, Int> {
    let data: Vec<i64> = ids.iter().map(|&t| t as i64).collect();
    let cols = ids.len() / rows.max(1);
    Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}

/// A float tensor's values as f32, row-major; a failed device read is an error, not a panic.
pub fn to_vec<const D: usize>(t: Tensor<D>) -> anyhow::Result<Vec<f32>> {
    let data = t
        .try_into_data()
        .map_err(|e| anyhow::anyhow!("reading a tensor from the device failed: {e:?}"))?;
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("tensor data is not f32: {e:?}"))
}

/// Row-major `[rows, cols] -> [cols, rows]`.
pub fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for (r, row) in values.chunks_exact(cols).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
    out
}
