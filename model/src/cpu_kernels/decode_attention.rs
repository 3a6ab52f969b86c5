//! Scaled dot-product attention of a decode step, fused, reading the cache in place, on every
//! thread.
//!
//! A decode step's attention is, per row and key head, a `[group, hd] · [hd, n]` product, a
//! softmax and a `[group, n] · [n, hd]` product. On flex these are two small `gemm` calls per
//! row and key head, each packing its operands: at long contexts they took 29 % of a 32-row
//! packed decode step (perf, 1024 new tokens). On flex, in f32 and without autodiff, for at most
//! [`MAX_QUERY_ROWS`] query rows per key head, [`attend`] reads the cache's keys and values in
//! place, once each, one task per row and key head on rayon's pool
//! ([`kernels::attention::head_attend`]), in half the time (the
//! `decode_attention` bench). Everything else is left to Burn's ops
//! ([`crate::attention::attend_by_ops`]).
//!
//! The float order, the same on every kernel path and thread count, is
//! [`kernels::attention`]'s.

#[cfg(feature = "flex")]
use burn::backend::Flex;
use burn::prelude::*;
#[cfg(feature = "flex")]
use kernels::attention::{Head, Rows, head_attend};
#[cfg(feature = "flex")]
use kernels::packed::Kernel;

use crate::attention_mask::MaskSpec;
#[cfg(feature = "flex")]
use crate::kv_cache::Keys;

/// Query rows per key head (`group · t`) up to which a step counts as decode-shaped; above that
/// (a prompt chunk) the products are large enough for `gemm`.
pub const MAX_QUERY_ROWS: usize = 16;

/// `q: [b, kv_heads, rows, hd]` (query row `g·t + i` is token `i` of the key head's `g`-th query
/// head) against `keys` under `mask`, `-> [b, kv_heads, rows, hd]`; or `None` where this does not
/// apply: not flex, not f32, autodiff, more than [`MAX_QUERY_ROWS`] rows, keys that are not
/// contiguous along `hd`.
#[cfg(feature = "flex")]
pub fn attend(
    q: &Tensor<4>,
    keys: &Keys,
    mask: &MaskSpec,
    scale: f32,
    softcap: Option<f32>,
) -> Option<Tensor<4>> {
    use rayon::prelude::*;

    let [b, kvh, rows, hd] = q.dims();
    let n = keys.k.dims()[2];
    if rows > MAX_QUERY_ROWS || q.dtype() != burn::tensor::DType::F32 {
        return None;
    }
    let (k, v) = (View::new(&keys.k)?, View::new(&keys.v)?);
    q.clone().try_into_primitive::<Flex>().ok()?;
    // Only a GEMMA_KERNEL this CPU cannot run fails here, and loading the model refused it.
    let kernel = Kernel::selected().ok()?;
    let qs = crate::host::to_vec(q.clone()).ok()?;
    let (ks, vs) = (k.values(), v.values());
    let mut out = vec![0.0f32; b * kvh * rows * hd];
    out.par_chunks_mut(rows * hd)
        .zip(qs.par_chunks(rows * hd))
        .enumerate()
        .for_each(|(task, (out, q))| {
            let (row, head) = (task / kvh, task % kvh);
            let visible: Vec<bool> = (0..rows)
                .flat_map(|r| (0..n).map(move |j| mask.visible(row, r, j)))
                .collect();
            let keys = |view: &View, values| Rows {
                values,
                start: view.start(row, head),
                stride: view.strides[2],
            };
            let head = Head {
                q,
                k: keys(&k, ks),
                v: keys(&v, vs),
                visible: &visible,
                hd,
                scale,
                softcap,
            };
            head_attend(kernel, head, out);
        });
    Some(Tensor::from_data(
        TensorData::new(out, [b, kvh, rows, hd]),
        &q.device(),
    ))
}

/// Without flex compiled in, attention is Burn's.
#[cfg(not(feature = "flex"))]
pub fn attend(
    _: &Tensor<4>,
    _: &crate::kv_cache::Keys,
    _: &MaskSpec,
    _: f32,
    _: Option<f32>,
) -> Option<Tensor<4>> {
    None
}

/// A `[b, heads, n, hd]` f32 view of flex storage, contiguous along `hd`.
#[cfg(feature = "flex")]
struct View {
    tensor: burn::backend::flex::FlexTensor,
    offset: usize,
    strides: [usize; 3],
}

#[cfg(feature = "flex")]
impl View {
    fn new(t: &Tensor<4>) -> Option<Self> {
        let tensor = t.clone().try_into_primitive::<Flex>().ok()?;
        if tensor.dtype() != burn::tensor::DType::F32 {
            return None;
        }
        let layout = tensor.layout();
        let s = layout.strides();
        if s[3] != 1 || s.iter().any(|&s| s < 0) {
            return None;
        }
        let (offset, strides) = (
            layout.start_offset(),
            [s[0], s[1], s[2]].map(|s| s as usize),
        );
        Some(Self {
            tensor,
            offset,
            strides,
        })
    }

    fn values(&self) -> &[f32] {
        self.tensor.storage::<f32>()
    }

    /// Where key 0 of `row` and `head` starts.
    fn start(&self, row: usize, head: usize) -> usize {
        self.offset + row * self.strides[0] + head * self.strides[1]
    }
}
