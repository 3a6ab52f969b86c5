//! One position of llama.cpp's KL-divergence mode: the evaluated model Q against the saved
//! base logits P.

use serde::{Deserialize, Serialize};

use super::top_logits::TopLogits;
use engine::scoring::LogSoftmax;

/// Per-position numbers, kept per chunk so that medians and percentiles can be taken at the end.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkKld {
    /// `-log P(correct token)`.
    pub nll_base: Vec<f64>,
    /// `KL(P ‖ Q)` over P's top k and one bucket for the remaining mass.
    pub kld: Vec<f64>,
    /// `Q(correct) - P(correct)`.
    pub p_diff: Vec<f64>,
    /// Positions where Q's and P's most likely tokens agree.
    pub same_top: usize,
}

impl ChunkKld {
    pub fn push(&mut self, position: PositionKld) {
        self.nll_base.push(position.nll_base);
        self.kld.push(position.kld);
        self.p_diff.push(position.p_diff);
        self.same_top += usize::from(position.same_top);
    }
}

/// One position compared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PositionKld {
    pub nll_base: f64,
    pub kld: f64,
    pub p_diff: f64,
    pub same_top: bool,
}

impl PositionKld {
    /// `logits` are Q's, `q = LogSoftmax::new(logits)`, and `nll` Q's NLL of the correct token.
    pub fn new(base: &TopLogits, logits: &[f32], q: &LogSoftmax, nll: f64) -> Self {
        let p = &base.softmax;
        let mut kld = 0.0;
        for (&id, &base_logit) in base.ids.iter().zip(&base.logits) {
            let log_p = p.log_prob(base_logit);
            kld += log_p.exp() * (log_p - q.log_prob(logits[id as usize]));
        }
        if base.tail > 0.0 {
            let q_tail = q.tail_mass(logits, &base.ids).max(f64::MIN_POSITIVE);
            kld += base.tail * (base.tail.ln() - q_tail.ln());
        }
        let nll_base = -p.log_prob(base.target_logit);
        Self {
            nll_base,
            kld,
            p_diff: (-nll).exp() - (-nll_base).exp(),
            same_top: q.argmax == p.argmax,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_logits_give_zero_and_a_shift_does_not() {
        let logits: Vec<f32> = (0..50).map(|i| ((i * 37) % 11) as f32 * 0.3).collect();
        let ls = LogSoftmax::new(&logits);
        let base = TopLogits::new(&logits, ls, 7, 8);
        let same = PositionKld::new(&base, &logits, &ls, -ls.log_prob(logits[7]));
        assert_eq!((same.kld, same.p_diff, same.same_top), (0.0, 0.0, true));

        let mut other: Vec<f32> = logits.clone();
        other[base.ids[0] as usize] -= 2.0;
        let q = LogSoftmax::new(&other);
        let diff = PositionKld::new(&base, &other, &q, -q.log_prob(other[7]));
        assert!(diff.kld > 0.01 && !diff.same_top, "{diff:?}");
    }
}
