//! The inference cache: keys and values per layer and per row (one row per sequence), kept
//! apart from the model's weights.
//!
//! Each row has its own length, so the rows of one batch sit at their own positions with no
//! shared padding, and a row can be reset and handed to another sequence. Each layer's buffers
//! are allocated once per growth and written in place ([`Tensor::select_assign`]), never
//! rebuilt with `cat` per step:
//! - a **full** layer keeps position `p` of a row in slot `p`; its buffers grow by half (at least
//!   64 slots) when the longest row needs more, so appending is amortised O(1);
//! - a **sliding** layer is a ring of `window` slots per row (position `p` in slot
//!   `p mod window`), so it never holds more than its window.
//!
//! A decode step (one token per row) writes first and then attends over the buffer. A longer
//! step (a prompt chunk) attends over what the buffer held plus its own keys, then writes: its
//! first queries may need ring slots that its last tokens overwrite. The cache holds no
//! gradients (what it stores is detached).

use std::ops::Range;

use burn::prelude::*;
use burn::tensor::{DType, IndexingUpdateOp};

use crate::config::Gemma3Config;

/// Keys and values one layer attends over: `[batch, kv_heads, n, head_dim]` each, with the
/// position each of the `n` slots holds per row (`None`: nothing there yet).
pub struct Keys {
    pub k: Tensor<4>,
    pub v: Tensor<4>,
    pub positions: Vec<Vec<Option<usize>>>,
}

/// One layer's buffers: `[rows * slots, kv_heads * head_dim]` each.
#[derive(Clone, Debug)]
pub struct LayerCache {
    /// `Some(w)`: a sliding layer; a query sees the last `w` positions, itself included.
    window: Option<usize>,
    /// Most slots a row can need: the window, or the context length.
    limit: usize,
    rows: usize,
    kv_heads: usize,
    head_dim: usize,
    /// Slots per row allocated now.
    slots: usize,
    kv: Option<(Tensor<2>, Tensor<2>)>,
}

/// What one forward step shares across layers.
#[derive(Clone, Debug)]
pub struct Step {
    /// Cache rows of the batch rows, in order.
    pub rows: Range<usize>,
    /// Tokens per row.
    pub t: usize,
    /// Each batch row's length before the step.
    pub lens: Vec<usize>,
}

impl Step {
    /// RoPE positions of the step's tokens, `[batch][t]`.
    pub fn positions(&self) -> Vec<Vec<usize>> {
        self.lens
            .iter()
            .map(|&l| (l..l + self.t).collect())
            .collect()
    }
}

impl LayerCache {
    pub fn window(&self) -> Option<usize> {
        self.window
    }

    /// Slots per row allocated now (at most the window on a sliding layer).
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Bytes of the allocated buffers.
    pub fn bytes(&self) -> usize {
        self.kv
            .as_ref()
            .map_or(0, |(k, _)| 2 * k.shape().num_elements() * k.dtype().size())
    }

    fn slot(&self, position: usize) -> usize {
        match self.window {
            Some(w) => position % w,
            None => position,
        }
    }

    /// The position slot `s` holds in a row of length `len`.
    fn held(&self, s: usize, len: usize) -> Option<usize> {
        match self.window {
            None => (s < len).then_some(s),
            Some(w) => (s < len.min(w)).then(|| s + w * ((len - 1 - s) / w)),
        }
    }

    /// Grows the buffers to hold `need` slots per row (capped at the limit).
    fn reserve(&mut self, need: usize, device: &Device, dtype: DType) {
        let need = need.min(self.limit);
        if need <= self.slots {
            return;
        }
        let slots = need
            .max(self.slots + self.slots / 2)
            .next_multiple_of(64)
            .min(self.limit);
        let d = self.kv_heads * self.head_dim;
        let grow = |old: Option<Tensor<2>>| {
            let fresh = Tensor::<3>::zeros([self.rows, slots - self.slots, d], (device, dtype));
            let t = match old {
                Some(old) => Tensor::cat(vec![old.reshape([self.rows, self.slots, d]), fresh], 1),
                None => fresh,
            };
            t.reshape([self.rows * slots, d])
        };
        let (k, v) = self.kv.take().unzip();
        self.kv = Some((grow(k), grow(v)));
        self.slots = slots;
    }

    /// The buffers' first `n` slots of `rows`, as `[rows, kv_heads, n, head_dim]`.
    fn view(&self, rows: &Range<usize>, n: usize) -> (Tensor<4>, Tensor<4>) {
        let (k, v) = self.kv.clone().expect("a written cache");
        let shape = [self.rows, self.slots, self.kv_heads, self.head_dim];
        let view = |t: Tensor<2>| {
            t.reshape(shape)
                .narrow(0, rows.start, rows.len())
                .narrow(1, 0, n)
                .swap_dims(1, 2)
        };
        (view(k), view(v))
    }

    fn positions(&self, lens: &[usize], n: usize) -> Vec<Vec<Option<usize>>> {
        lens.iter()
            .map(|&len| (0..n).map(|s| self.held(s, len)).collect())
            .collect()
    }

    /// Writes the step's keys and values, `[batch, kv_heads, t, head_dim]`, into their slots.
    fn write(&mut self, k: Tensor<4>, v: Tensor<4>, step: &Step) {
        let [b, kvh, t, hd] = k.dims();
        let mut picked = Vec::with_capacity(b * t);
        let mut index = Vec::with_capacity(b * t);
        for (j, (row, &len)) in step.rows.clone().zip(&step.lens).enumerate() {
            // On a ring only the last `window` tokens of the step survive.
            let first = (len + t).saturating_sub(self.limit).max(len);
            for p in first..len + t {
                picked.push((j * t + p - len) as i64);
                index.push((row * self.slots + self.slot(p)) as i64);
            }
        }
        let device = k.device();
        let ints = |v: Vec<i64>| {
            let n = v.len();
            Tensor::<1, Int>::from_data(TensorData::new(v, [n]), &device)
        };
        let flat = |x: Tensor<4>| x.swap_dims(1, 2).reshape([b * t, kvh * hd]).detach();
        let (mut new_k, mut new_v) = (flat(k), flat(v));
        if picked.len() < b * t {
            let picked = ints(picked);
            new_k = new_k.select(0, picked.clone());
            new_v = new_v.select(0, picked);
        }
        let index = ints(index);
        let (ck, cv) = self.kv.take().expect("reserved before writing");
        self.kv = Some((
            ck.select_assign(0, index.clone(), new_k, IndexingUpdateOp::Assign),
            cv.select_assign(0, index, new_v, IndexingUpdateOp::Assign),
        ));
    }

    /// Stores the step's keys and values and returns what its queries attend over.
    pub fn attend(&mut self, k: Tensor<4>, v: Tensor<4>, step: &Step) -> Keys {
        let t = step.t;
        let longest = step.lens.iter().max().copied().unwrap_or(0);
        self.reserve(longest + t, &k.device(), k.dtype());
        if t == 1 {
            self.write(k, v, step);
            let after: Vec<usize> = step.lens.iter().map(|l| l + 1).collect();
            let n = (longest + 1).min(self.slots);
            let (k, v) = self.view(&step.rows, n);
            return Keys {
                k,
                v,
                positions: self.positions(&after, n),
            };
        }
        let new_positions = step.lens.iter().map(|&l| (l..l + t).map(Some));
        let keys = if longest == 0 {
            Keys {
                k: k.clone(),
                v: v.clone(),
                positions: new_positions.map(Iterator::collect).collect(),
            }
        } else {
            let n = longest.min(self.slots);
            let (old_k, old_v) = self.view(&step.rows, n);
            Keys {
                k: Tensor::cat(vec![old_k, k.clone()], 2),
                v: Tensor::cat(vec![old_v, v.clone()], 2),
                positions: self
                    .positions(&step.lens, n)
                    .into_iter()
                    .zip(new_positions)
                    .map(|(mut old, new)| {
                        old.extend(new);
                        old
                    })
                    .collect(),
            }
        };
        self.write(k, v, step);
        keys
    }

    /// A copy of the first `n` slots of row `row` (new tensors, not views of the buffers).
    fn gather_row(&self, row: usize, n: usize) -> (Tensor<2>, Tensor<2>) {
        let (k, v) = self.kv.as_ref().expect("a written cache");
        let start = (row * self.slots) as i64;
        let index = Tensor::<1, Int>::arange(start..start + n as i64, &k.device());
        (
            k.clone().select(0, index.clone()),
            v.clone().select(0, index),
        )
    }

    /// Writes `n` gathered slots into row `row`, in place.
    fn put_row(&mut self, row: usize, (k, v): (Tensor<2>, Tensor<2>)) {
        let n = k.dims()[0];
        if n == 0 {
            return;
        }
        self.reserve(n, &k.device(), k.dtype());
        let start = (row * self.slots) as i64;
        let index = Tensor::<1, Int>::arange(start..start + n as i64, &k.device());
        let (ck, cv) = self.kv.take().expect("reserved before writing");
        self.kv = Some((
            ck.select_assign(0, index.clone(), k, IndexingUpdateOp::Assign),
            cv.select_assign(0, index, v, IndexingUpdateOp::Assign),
        ));
    }
}

/// The whole model's cache for a fixed number of rows.
#[derive(Clone, Debug)]
pub struct KvCache {
    layers: Vec<LayerCache>,
    /// Tokens each row holds (its next position).
    lens: Vec<usize>,
}

impl KvCache {
    /// An empty cache of `rows` rows; buffers are allocated on first use.
    pub fn new(config: &Gemma3Config, rows: usize) -> Self {
        let layers = (0..config.num_layers)
            .map(|i| {
                let window = (!config.is_global(i)).then_some(config.sliding_window);
                LayerCache {
                    window,
                    limit: window.unwrap_or(config.max_position_embeddings),
                    rows,
                    kv_heads: config.num_kv_heads,
                    head_dim: config.head_dim,
                    slots: 0,
                    kv: None,
                }
            })
            .collect();
        Self {
            layers,
            lens: vec![0; rows],
        }
    }

    pub fn rows(&self) -> usize {
        self.lens.len()
    }

    pub fn layers(&self) -> &[LayerCache] {
        &self.layers
    }

    pub(crate) fn layers_mut(&mut self) -> &mut [LayerCache] {
        &mut self.layers
    }

    /// Bytes of every layer's buffers.
    pub fn bytes(&self) -> usize {
        self.layers.iter().map(LayerCache::bytes).sum()
    }

    /// The step of `t` tokens for each of `rows`, from their current lengths.
    pub(crate) fn step(&self, rows: Range<usize>, t: usize) -> Step {
        assert!(
            rows.end <= self.rows(),
            "rows {rows:?} of a {}-row cache",
            self.rows()
        );
        Step {
            lens: self.lens[rows.clone()].to_vec(),
            rows,
            t,
        }
    }

    pub(crate) fn advance(&mut self, step: &Step) {
        for row in step.rows.clone() {
            self.lens[row] += step.t;
        }
    }

    /// Forgets row `row`, so a new sequence can start there.
    pub fn reset(&mut self, row: usize) {
        self.lens[row] = 0;
    }

    /// Makes row `to` hold what `src`'s row `from` holds (`src` is another cache of the same
    /// model, such as a one-row cache a prompt was prefilled in).
    pub fn copy_row(&mut self, to: usize, src: &KvCache, from: usize) {
        let len = src.lens[from];
        for (dst, s) in self.layers.iter_mut().zip(&src.layers) {
            if s.kv.is_some() {
                dst.put_row(to, s.gather_row(from, len.min(s.slots)));
            }
        }
        self.lens[to] = len;
    }

    /// Moves row `from` to row `to` (to keep the rows in use a prefix).
    pub fn move_row(&mut self, from: usize, to: usize) {
        let len = self.lens[from];
        for layer in &mut self.layers {
            if layer.kv.is_some() {
                let rows = layer.gather_row(from, len.min(layer.slots));
                layer.put_row(to, rows);
            }
        }
        self.lens[to] = len;
        self.lens[from] = 0;
    }
}
