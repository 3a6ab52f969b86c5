//! Scoring text: log-probabilities from rows of logits, computed as llama.cpp's
//! `perplexity.cpp` does (the float32 maximum, then `Σ expf(l - max)` accumulated in double),
//! and the logits of chosen positions of a sequence, block by block.

use std::ops::Range;

use model::gemma3::Gemma3;
use model::host;

/// Positions whose logits are computed at once: 64 × 262144 f32 is 64 MiB, under wgpu's
/// 128 MiB limit on one buffer.
pub const LOGIT_BLOCK: usize = 64;

/// The normalizer of one row: `log p(i) = (l_i - max) - log_sum`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogSoftmax {
    pub max: f32,
    /// The first id with the largest logit.
    pub argmax: u32,
    /// `ln Σ exp(l_i - max)`.
    pub log_sum: f64,
}

impl LogSoftmax {
    pub fn new(logits: &[f32]) -> Self {
        let (mut max, mut argmax) = (logits[0], 0usize);
        for (i, &l) in logits.iter().enumerate().skip(1) {
            if l > max {
                (max, argmax) = (l, i);
            }
        }
        let sum: f64 = logits.iter().map(|&l| f64::from((l - max).exp())).sum();
        Self {
            max,
            argmax: argmax as u32,
            log_sum: sum.ln(),
        }
    }

    /// `log p` of a token whose logit is `logit`.
    pub fn log_prob(&self, logit: f32) -> f64 {
        f64::from(logit - self.max) - self.log_sum
    }

    /// The probability mass outside `ids` (distinct ids), from the same `expf` terms as the
    /// normalizer; in double, `1 - Σ` keeps about 1e-15 of absolute precision.
    pub fn tail_mass(&self, logits: &[f32], ids: &[u32]) -> f64 {
        let inside: f64 = ids
            .iter()
            .map(|&i| f64::from((logits[i as usize] - self.max).exp()))
            .sum();
        (1.0 - inside / self.log_sum.exp()).max(0.0)
    }
}

/// Ids of the `k` largest logits, largest first (ties: lower id first).
pub fn top_k(logits: &[f32], k: usize) -> Vec<u32> {
    let order = |a: &u32, b: &u32| {
        logits[*b as usize]
            .total_cmp(&logits[*a as usize])
            .then(a.cmp(b))
    };
    let mut ids: Vec<u32> = (0..logits.len() as u32).collect();
    if k < ids.len() {
        ids.select_nth_unstable_by(k, order);
        ids.truncate(k);
    }
    ids.sort_unstable_by(order);
    ids
}

/// Runs `tokens` from an empty cache and returns `f(position, logits)` for every position of
/// `positions`, in order; position `p` predicts `tokens[p + 1]`. The rows of a block are shared
/// among the cores: the host-side log-softmax is a tenth of a chunk's time.
pub fn map_position_logits<R: Send>(
    model: &Gemma3,
    tokens: &[u32],
    positions: Range<usize>,
    f: impl Fn(usize, &[f32]) -> R + Sync,
) -> anyhow::Result<Vec<R>> {
    assert!(positions.end <= tokens.len(), "positions past the tokens");
    let mut cache = model.new_cache(1);
    let hidden = model.forward(host::tokens(tokens, 1, &model.device()), &mut cache);
    let d = hidden.dims()[2];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let mut out = Vec::with_capacity(positions.len());
    for start in positions.clone().step_by(LOGIT_BLOCK) {
        let end = (start + LOGIT_BLOCK).min(positions.end);
        let logits = host::to_vec(model.logits(hidden.clone().slice([0..1, start..end, 0..d])))?;
        let vocab = logits.len() / (end - start);
        let rows: Vec<(usize, &[f32])> = (start..end).zip(logits.chunks_exact(vocab)).collect();
        std::thread::scope(|s| {
            let f = &f;
            let workers: Vec<_> = rows
                .chunks(rows.len().div_ceil(threads))
                .map(|part| {
                    s.spawn(move || part.iter().map(|&(p, row)| f(p, row)).collect::<Vec<R>>())
                })
                .collect();
            for worker in workers {
                out.extend(worker.join().expect("a row worker panicked"));
            }
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_log_softmax() {
        let logits = [1.0f32, 3.0, -2.0, 3.0, 0.5];
        let ls = LogSoftmax::new(&logits);
        let z: f64 = logits.iter().map(|&l| f64::from(l).exp()).sum();
        for &l in &logits {
            assert!((ls.log_prob(l) - (f64::from(l) - z.ln())).abs() < 1e-6);
        }
        assert_eq!(ls.argmax, 1);
        assert_eq!(top_k(&logits, 3), [1, 3, 0]);
        let tail = ls.tail_mass(&logits, &[1, 3, 0]);
        let direct = (f64::from(-2.0f32).exp() + 0.5f64.exp()) / z;
        assert!((tail - direct).abs() < 1e-7, "{tail} vs {direct}");
    }
}
