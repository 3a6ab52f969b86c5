//! The token embedding, which is also the LM head (tied weights).
//!
//! The `[vocab, hidden]` matrix is kept as row chunks of at most ~96 MiB (at f32): Gemma's
//! 262 144 × 640 table is 671 MB, more than one buffer may hold on some wgpu devices (128 MiB on
//! lavapipe), and chunked matmuls cost nothing measurable on the CPU backends.
//!
//! Once packed ([`crate::Gemma3::into_packed`], [`crate::weights::load_packed`]) there are no
//! float chunks: the LM head multiplies with the packed table and the lookup dequantizes only
//! the rows it is asked for, as llama.cpp's `get_rows` does on a quantized table.

use std::sync::Arc;

use anyhow::bail;
use burn::module::Param;
use burn::prelude::*;
use burn::tensor::{DType, TensorCreationOptions};

use crate::cpu_kernels::packed_matmul::packed_matmul;
use kernels::packed::PackedMatrix;

const MAX_CHUNK_BYTES: usize = 96 << 20;

#[derive(Module, Debug)]
pub struct TiedEmbedding {
    /// Consecutive row blocks of the `[vocab, hidden]` table; none once it is packed.
    pub chunks: Vec<Param<Tensor<2>>>,
    /// The packed table, for the LM head and the lookup.
    #[module(skip)]
    pub packed: Option<Arc<PackedMatrix>>,
}

impl TiedEmbedding {
    /// Rows per chunk for a given width: a power of two under [`MAX_CHUNK_BYTES`] at f32.
    pub fn chunk_rows(hidden: usize) -> usize {
        let rows = (MAX_CHUNK_BYTES / (hidden * 4)).max(1);
        1 << rows.ilog2()
    }

    /// From the row-major `[vocab, hidden]` values.
    pub fn from_values(
        values: &[f32],
        vocab: usize,
        hidden: usize,
        options: impl Into<TensorCreationOptions> + Clone,
    ) -> Self {
        let rows = Self::chunk_rows(hidden);
        let chunks = values
            .chunks(rows * hidden)
            .map(|c| {
                Param::from_tensor(Tensor::from_data(
                    TensorData::new(c.to_vec(), [c.len() / hidden, hidden]),
                    options.clone(),
                ))
            })
            .collect();
        debug_assert_eq!(values.len(), vocab * hidden);
        Self {
            chunks,
            packed: None,
        }
    }

    /// Uninitialised chunks of the right shapes, for a store to fill.
    pub fn empty(
        vocab: usize,
        hidden: usize,
        options: impl Into<TensorCreationOptions> + Clone,
    ) -> Self {
        let rows = Self::chunk_rows(hidden);
        let chunks = (0..vocab.div_ceil(rows))
            .map(|i| {
                Param::from_tensor(Tensor::empty(
                    [rows.min(vocab - i * rows), hidden],
                    options.clone(),
                ))
            })
            .collect();
        Self {
            chunks,
            packed: None,
        }
    }

    /// The packed table alone.
    pub fn from_packed(table: PackedMatrix) -> Self {
        Self {
            chunks: vec![],
            packed: Some(Arc::new(table)),
        }
    }

    /// The whole row-major `[vocab, hidden]` table on the host, read chunk by chunk (the whole
    /// table may not fit one device buffer).
    pub fn to_host(&self) -> anyhow::Result<Vec<f32>> {
        if self.chunks.is_empty() {
            bail!("the embedding table is packed; this needs the float table");
        }
        let mut table = Vec::new();
        for chunk in &self.chunks {
            table.extend(crate::host::to_vec(chunk.val())?);
        }
        Ok(table)
    }

    /// Looks up `ids: [batch, seq]` -> `[batch, seq, hidden]`, in `dtype`.
    pub fn embed(&self, ids: Tensor<2, Int>, dtype: DType) -> Tensor<3> {
        let [b, t] = ids.dims();
        if let (Some(table), true) = (&self.packed, self.chunks.is_empty()) {
            let device = ids.device();
            // Ids come from the tokenizer or the sampler, both below the vocabulary size; and a
            // failed read of a host backend's ids is a broken device.
            let ids: Vec<usize> = ids
                .into_data()
                .convert::<i64>()
                .iter::<i64>()
                .map(|id| id as usize)
                .collect();
            let rows = table
                .dequantize_rows(&ids)
                .expect("token ids lie inside the vocabulary");
            let d = table.cols();
            return Tensor::from_data(TensorData::new(rows, [b, t, d]), (&device, dtype));
        }
        let flat = ids.reshape([b * t]);
        let mut out: Option<Tensor<2>> = None;
        let mut start = 0;
        for chunk in &self.chunks {
            let w = chunk.val();
            let rows = w.dims()[0];
            let rows_out = if self.chunks.len() == 1 {
                w.select(0, flat.clone())
            } else {
                // Gather clamped local ids, then zero the rows whose id lives in another chunk.
                let local = flat.clone().sub_scalar(start as i64);
                let inside = local
                    .clone()
                    .greater_equal_elem(0)
                    .bool_and(local.clone().lower_elem(rows as i64));
                let keep = inside.float().cast(w.dtype()).unsqueeze_dim::<2>(1); // [n, 1]
                w.select(0, local.clamp(0, rows as i64 - 1)) * keep
            };
            out = Some(match out {
                Some(acc) => acc + rows_out,
                None => rows_out,
            });
            start += rows;
        }
        let out = out.expect("an embedding has at least one chunk");
        let d = out.dims()[1];
        out.reshape([b, t, d])
    }

    /// The LM head: `x: [n, hidden] -> [n, vocab]`.
    pub fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        if let Some(head) = &self.packed {
            return packed_matmul(head, x.unsqueeze_dim(0)).squeeze_dim(0);
        }
        let parts: Vec<Tensor<2>> = self
            .chunks
            .iter()
            .map(|c| x.clone().matmul(c.val().transpose()))
            .collect();
        Tensor::cat(parts, 1)
    }
}
