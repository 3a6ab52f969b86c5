//! The order examples are seen in: a fresh seeded permutation each epoch, so the sample at any
//! position of the stream is a pure function of (seed, position). Resuming needs only the step.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

pub struct DataOrder {
    len: usize,
    seed: u64,
    /// The last epoch's permutation, reused while the stream stays in it.
    cached: Option<(usize, Vec<usize>)>,
}

impl DataOrder {
    pub fn new(len: usize, seed: u64) -> Self {
        assert!(len > 0, "no training examples");
        Self {
            len,
            seed,
            cached: None,
        }
    }

    /// Example index at stream position `pos`.
    pub fn index(&mut self, pos: usize) -> usize {
        let (epoch, offset) = (pos / self.len, pos % self.len);
        if self.cached.as_ref().is_none_or(|(e, _)| *e != epoch) {
            let mut perm: Vec<usize> = (0..self.len).collect();
            perm.shuffle(&mut StdRng::seed_from_u64(
                self.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ));
            self.cached = Some((epoch, perm));
        }
        self.cached.as_ref().expect("just filled").1[offset]
    }

    /// Indices of the `k`-th batch of `size` examples.
    pub fn batch(&mut self, k: usize, size: usize) -> Vec<usize> {
        (k * size..(k + 1) * size).map(|p| self.index(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_epoch_is_a_permutation_and_order_is_reproducible() {
        let mut o = DataOrder::new(5, 3);
        let first: Vec<usize> = (0..10).map(|p| o.index(p)).collect();
        let mut e0 = first[..5].to_vec();
        e0.sort();
        assert_eq!(e0, [0, 1, 2, 3, 4]);
        assert_ne!(first[..5], first[5..], "epochs are reshuffled");
        let mut fresh = DataOrder::new(5, 3);
        assert_eq!(fresh.batch(3, 2), first[6..8]);
    }
}
