//! The additive attention mask: causal, sliding-window and left-padding in one place.

use burn::prelude::*;

/// Which keys each query may see. Queries occupy slots `q_start..q_start + q_len`, keys
/// `k_start..k_start + k_len` (see [`crate::KvCache`] for slots).
pub struct MaskSpec<'a> {
    pub pads: &'a [usize],
    pub q_start: usize,
    pub q_len: usize,
    pub k_start: usize,
    pub k_len: usize,
    /// `Some(w)`: a query sees the last `w` slots, itself included (HF's sliding window).
    pub window: Option<usize>,
}

impl MaskSpec<'_> {
    fn allowed(&self, pad: usize, q: usize, k: usize) -> bool {
        // A pad query sees only itself, so its softmax row is never empty.
        let real_key = k >= pad || k == q;
        k <= q && real_key && self.window.is_none_or(|w| q - k < w)
    }

    /// `[batch, 1, group * q_len, k_len]` with 0 where allowed and a large negative number
    /// elsewhere, repeated for the `group` query heads that share a key head; `None` when
    /// every key is allowed (the common decode step).
    pub fn build(&self, group: usize, device: &Device) -> Option<Tensor<4>> {
        let rows = |pad: usize| {
            (0..self.q_len).flat_map(move |i| {
                (0..self.k_len).map(move |j| (pad, self.q_start + i, self.k_start + j))
            })
        };
        if self
            .pads
            .iter()
            .all(|&pad| rows(pad).all(|(p, q, k)| self.allowed(p, q, k)))
        {
            return None;
        }
        let mut data = Vec::with_capacity(self.pads.len() * group * self.q_len * self.k_len);
        for &pad in self.pads {
            let row: Vec<f32> = rows(pad)
                .map(|(p, q, k)| {
                    if self.allowed(p, q, k) {
                        0.0
                    } else {
                        f32::MIN / 2.0
                    }
                })
                .collect();
            for _ in 0..group {
                data.extend_from_slice(&row);
            }
        }
        let shape = [self.pads.len(), 1, group * self.q_len, self.k_len];
        Some(Tensor::from_data(TensorData::new(data, shape), device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(pads: &[usize], window: Option<usize>) -> MaskSpec<'_> {
        MaskSpec {
            pads,
            q_start: 0,
            q_len: 6,
            k_start: 0,
            k_len: 6,
            window,
        }
    }

    #[test]
    fn sliding_window_sees_w_keys_including_itself() {
        let s = spec(&[0], Some(3));
        assert!(s.allowed(0, 5, 3) && s.allowed(0, 5, 5));
        assert!(!s.allowed(0, 5, 2), "4 back is outside a window of 3");
        assert!(!s.allowed(0, 2, 3), "no future keys");
    }

    #[test]
    fn padding_is_hidden_from_real_queries() {
        let s = spec(&[2], None);
        assert!(!s.allowed(2, 4, 1));
        assert!(s.allowed(2, 1, 1), "a pad query sees itself");
        assert!(s.allowed(2, 4, 2));
    }

    #[test]
    fn decode_step_without_padding_needs_no_mask() {
        let s = MaskSpec {
            pads: &[0, 0],
            q_start: 7,
            q_len: 1,
            k_start: 0,
            k_len: 8,
            window: None,
        };
        assert!(s.build(4, &Device::default()).is_none());
    }
}
