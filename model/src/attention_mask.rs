//! The additive attention mask: causal order and the sliding window, from the positions each
//! query and each cached slot hold (see [`crate::kv_cache`]).

use burn::prelude::*;

/// Which keys each query may see.
pub struct MaskSpec<'a> {
    /// Query positions, `[batch][t]`.
    pub queries: &'a [Vec<usize>],
    /// The position each key slot holds, `[batch][n]` (`None`: an empty slot).
    pub keys: &'a [Vec<Option<usize>>],
    /// `Some(w)`: a query sees the last `w` positions, itself included (HF's sliding window).
    pub window: Option<usize>,
}

impl MaskSpec<'_> {
    fn allowed(&self, q: usize, k: Option<usize>) -> bool {
        k.is_some_and(|k| k <= q && self.window.is_none_or(|w| q - k < w))
    }

    /// May query row `r` of batch row `row` see key slot `j`; query rows are laid out as in
    /// [`MaskSpec::build`] (row `g·t + i` is token `i`).
    pub fn visible(&self, row: usize, r: usize, j: usize) -> bool {
        let qs = &self.queries[row];
        self.allowed(qs[r % qs.len()], self.keys[row][j])
    }

    /// `[batch, 1, group * t, n]` with 0 where allowed and a large negative number elsewhere,
    /// repeated for the `group` query heads that share a key head; `None` when every key is
    /// allowed (a decode step of rows with equal lengths).
    pub fn build(&self, group: usize, device: &Device) -> Option<Tensor<4>> {
        let pairs = || {
            self.queries.iter().zip(self.keys).flat_map(|(qs, ks)| {
                qs.iter()
                    .flat_map(move |&q| ks.iter().map(move |&k| (q, k)))
            })
        };
        if pairs().all(|(q, k)| self.allowed(q, k)) {
            return None;
        }
        let (b, t, n) = (
            self.queries.len(),
            self.queries[0].len(),
            self.keys[0].len(),
        );
        let mut data = Vec::with_capacity(b * group * t * n);
        for (qs, ks) in self.queries.iter().zip(self.keys) {
            let rows: Vec<f32> = qs
                .iter()
                .flat_map(|&q| {
                    ks.iter().map(move |&k| {
                        if self.allowed(q, k) {
                            0.0
                        } else {
                            f32::MIN / 2.0
                        }
                    })
                })
                .collect();
            for _ in 0..group {
                data.extend_from_slice(&rows);
            }
        }
        Some(Tensor::from_data(
            TensorData::new(data, [b, 1, group * t, n]),
            device,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_sees_w_keys_including_itself() {
        let (q, k) = ([vec![5]], [vec![Some(2), Some(3), Some(5), Some(6)]]);
        let s = MaskSpec {
            queries: &q,
            keys: &k,
            window: Some(3),
        };
        assert!(s.allowed(5, Some(3)) && s.allowed(5, Some(5)));
        assert!(!s.allowed(5, Some(2)), "3 back is outside a window of 3");
        assert!(!s.allowed(5, Some(6)), "no future keys");
        assert!(!s.allowed(5, None), "no empty slots");
        let mask = s
            .build(2, &Device::default())
            .expect("some keys are hidden");
        assert_eq!(mask.dims(), [1, 1, 2, 4]);
    }

    #[test]
    fn decode_step_of_full_rows_needs_no_mask() {
        let (q, k) = (
            [vec![2], vec![2]],
            [
                vec![Some(0), Some(1), Some(2)],
                vec![Some(0), Some(1), Some(2)],
            ],
        );
        let s = MaskSpec {
            queries: &q,
            keys: &k,
            window: None,
        };
        assert!(s.build(4, &Device::default()).is_none());
    }
}
