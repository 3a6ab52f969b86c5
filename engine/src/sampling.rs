//! Choosing the next token from a row of logits: greedy, or sampled with temperature, top-k,
//! top-p, min-p and a repetition penalty, in transformers' order.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplingConfig {
    /// 0 means greedy.
    pub temperature: f32,
    /// 0 disables.
    pub top_k: usize,
    /// 1 disables.
    pub top_p: f32,
    /// 0 disables: drop tokens whose probability is below `min_p` times the top one's.
    pub min_p: f32,
    /// 1 disables (CTRL-style: seen tokens' positive logits are divided, negative multiplied).
    pub repetition_penalty: f32,
    pub seed: u64,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            repetition_penalty: 1.0,
            seed: 0,
        }
    }
}

impl SamplingConfig {
    pub fn greedy() -> Self {
        Self::default()
    }

    pub fn is_greedy(&self) -> bool {
        self.temperature <= 0.0
    }
}

pub struct Sampler {
    cfg: SamplingConfig,
    rng: StdRng,
}

/// Index of the largest value; the first one on ties, like `torch.argmax`.
pub fn argmax(values: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best as u32
}

impl Sampler {
    pub fn new(cfg: SamplingConfig) -> Self {
        let rng = StdRng::seed_from_u64(cfg.seed);
        Self { cfg, rng }
    }

    /// Picks a token from `logits` (modified in place); `history` is what the penalty sees.
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        let c = &self.cfg;
        if c.repetition_penalty != 1.0 {
            for &t in history {
                let l = &mut logits[t as usize];
                *l = if *l > 0.0 {
                    *l / c.repetition_penalty
                } else {
                    *l * c.repetition_penalty
                };
            }
        }
        if c.is_greedy() {
            return argmax(logits);
        }
        // Candidates sorted by logit, then truncated by each filter in turn.
        let mut cand: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .map(|(i, &l)| (i as u32, l / c.temperature))
            .collect();
        cand.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
        if c.top_k > 0 {
            cand.truncate(c.top_k);
        }
        let max = cand[0].1;
        let mut probs: Vec<f32> = cand.iter().map(|&(_, l)| (l - max).exp()).collect();
        let total: f32 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= total);
        let mut keep = probs.len();
        if c.top_p < 1.0 {
            let mut acc = 0.0;
            keep = probs
                .iter()
                .position(|&p| {
                    acc += p;
                    acc >= c.top_p
                })
                .map_or(keep, |i| i + 1);
        }
        if c.min_p > 0.0 {
            keep = keep.min(
                probs
                    .iter()
                    .position(|&p| p < c.min_p * probs[0])
                    .unwrap_or(keep)
                    .max(1),
            );
        }
        let mass: f32 = probs[..keep].iter().sum();
        let mut r = self.rng.random::<f32>() * mass;
        for (i, &p) in probs[..keep].iter().enumerate() {
            if r < p {
                return cand[i].0;
            }
            r -= p;
        }
        cand[keep - 1].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_first_maximum() {
        assert_eq!(
            Sampler::new(SamplingConfig::greedy()).sample(&mut [1.0, 3.0, 3.0, 0.0], &[]),
            1
        );
    }

    #[test]
    fn repetition_penalty_can_change_the_choice() {
        let cfg = SamplingConfig {
            repetition_penalty: 2.0,
            ..SamplingConfig::greedy()
        };
        assert_eq!(Sampler::new(cfg).sample(&mut [1.0, 3.0, 2.0], &[1]), 2);
    }

    #[test]
    fn top_k_1_and_tiny_top_p_are_greedy() {
        for cfg in [
            SamplingConfig {
                temperature: 1.0,
                top_k: 1,
                seed: 7,
                ..Default::default()
            },
            SamplingConfig {
                temperature: 1.0,
                top_p: 1e-6,
                seed: 7,
                ..Default::default()
            },
            SamplingConfig {
                temperature: 1.0,
                min_p: 0.99,
                seed: 7,
                ..Default::default()
            },
        ] {
            let mut s = Sampler::new(cfg);
            for _ in 0..20 {
                assert_eq!(s.sample(&mut [0.5, 2.0, 1.9, -1.0], &[]), 1);
            }
        }
    }

    #[test]
    fn sampling_follows_the_distribution_and_the_seed() {
        let cfg = SamplingConfig {
            temperature: 1.0,
            seed: 42,
            ..Default::default()
        };
        let draw = |cfg: SamplingConfig| {
            let mut s = Sampler::new(cfg);
            (0..4000)
                .map(|_| s.sample(&mut [0.0, (3.0f32).ln()], &[]))
                .collect::<Vec<_>>()
        };
        let a = draw(cfg.clone());
        assert_eq!(a, draw(cfg), "same seed, same draws");
        let ones = a.iter().filter(|&&t| t == 1).count() as f64 / a.len() as f64;
        assert!((ones - 0.75).abs() < 0.03, "p(1) = {ones}, expected 0.75");
    }
}
