//! The inference cache: keys and values per layer, kept apart from the model's weights.
//!
//! Positions are tracked as *slots* of the padded batch: slot `s` of row `b` holds position
//! `s - pads[b]` (rows are left-padded, so every row's real tokens start at position 0).

use burn::prelude::*;

/// One layer's keys and values, `[batch, kv_heads, len, head_dim]`, starting at slot `start`.
#[derive(Clone, Debug, Default)]
pub struct LayerKv {
    pub(crate) kv: Option<(Tensor<4>, Tensor<4>)>,
    pub(crate) start: usize,
}

impl LayerKv {
    /// Appends this step's keys and values and returns the full `(k, v, start_slot)`.
    pub(crate) fn append(&mut self, k: Tensor<4>, v: Tensor<4>) -> (Tensor<4>, Tensor<4>, usize) {
        let (k, v) = match self.kv.take() {
            Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
            None => (k, v),
        };
        self.kv = Some((k.clone(), v.clone()));
        (k, v, self.start)
    }

    /// Keeps only the last `keep` slots. A sliding layer needs `window - 1` of them: the next
    /// query sees itself plus the `window - 1` slots before it, so memory stays bounded.
    pub(crate) fn truncate_front(&mut self, keep: usize) {
        if let Some((k, v)) = self.kv.take() {
            let len = k.dims()[2];
            self.kv = Some(if len > keep {
                self.start += len - keep;
                (k.narrow(2, len - keep, keep), v.narrow(2, len - keep, keep))
            } else {
                (k, v)
            });
        }
    }

    /// Slots currently held.
    pub fn len(&self) -> usize {
        self.kv.as_ref().map_or(0, |(k, _)| k.dims()[2])
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The whole model's cache for one batch.
#[derive(Clone, Debug)]
pub struct KvCache {
    pub(crate) layers: Vec<LayerKv>,
    /// Leading pad slots of each row.
    pub(crate) pads: Vec<usize>,
    /// Slots consumed so far (the next token goes to this slot).
    pub(crate) len: usize,
}

impl KvCache {
    pub fn new(num_layers: usize, pads: Vec<usize>) -> Self {
        Self {
            layers: vec![LayerKv::default(); num_layers],
            pads,
            len: 0,
        }
    }

    pub fn batch_size(&self) -> usize {
        self.pads.len()
    }

    /// Slots consumed so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn pads(&self) -> &[usize] {
        &self.pads
    }

    /// Slots held by each layer (bounded by the window on sliding layers).
    pub fn layer_lens(&self) -> Vec<usize> {
        self.layers.iter().map(LayerKv::len).collect()
    }

    /// RoPE positions of the next `t` slots, per row.
    pub(crate) fn positions(&self, t: usize) -> Vec<Vec<usize>> {
        self.pads
            .iter()
            .map(|&pad| {
                (self.len..self.len + t)
                    .map(|s| s.saturating_sub(pad))
                    .collect()
            })
            .collect()
    }
}
