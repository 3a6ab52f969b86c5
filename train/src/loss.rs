//! Masked next-token cross-entropy, perplexity and token accuracy.
//!
//! Only the target positions reach the LM head: with a 262 144-token vocabulary the logits are
//! 1 MB per position at f32, so gathering the hidden states first saves the prompt's share of
//! that memory and time (forward and backward).

use burn::prelude::*;
use burn::tensor::DType;
use burn::tensor::activation::log_softmax;
use model::Gemma3;
use serde::Serialize;

use crate::data::{Batch, Example};

/// Sums over target tokens, so batches (and accumulation steps) combine exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub nll_sum: f64,
    pub correct: usize,
    pub tokens: usize,
}

impl Stats {
    pub fn add(&mut self, other: Stats) {
        self.nll_sum += other.nll_sum;
        self.correct += other.correct;
        self.tokens += other.tokens;
    }

    /// Mean cross-entropy per target token (nats).
    pub fn loss(&self) -> f64 {
        self.nll_sum / self.tokens.max(1) as f64
    }

    pub fn perplexity(&self) -> f64 {
        self.loss().exp()
    }

    /// Share of target tokens that are the argmax prediction.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.tokens.max(1) as f64
    }
}

/// The summed NLL of `batch`'s targets (a graph to backpropagate on an autodiff device) and the
/// batch's statistics.
pub fn forward(model: &Gemma3, batch: &Batch) -> anyhow::Result<(Tensor<1>, Stats)> {
    let device = model.device();
    let m = batch.num_targets();
    anyhow::ensure!(m > 0, "a batch without target tokens");
    let tokens = model::host::tokens(&batch.tokens, batch.rows, &device);
    let mut cache = model.new_cache(batch.rows);
    let hidden = model.forward(tokens, &mut cache);
    let d = hidden.dims()[2];
    let positions = ints(batch.positions.iter().map(|&p| p as i64).collect(), &device);
    let picked = hidden
        .reshape([batch.rows * batch.len, d])
        .select(0, positions)
        .unsqueeze_dim::<3>(0);
    let logits = model.logits(picked).squeeze_dim::<2>(0).cast(DType::F32); // [m, vocab]
    let labels = ints(batch.labels.iter().map(|&l| l as i64).collect(), &device).reshape([m, 1]);
    let nll_sum = log_softmax(logits.clone(), 1)
        .gather(1, labels.clone())
        .sum()
        .neg();
    let correct = logits.argmax(1).equal(labels).int().sum();

    let nll = model::host::to_vec(nll_sum.clone().detach())?[0] as f64;
    let correct = correct
        .into_data()
        .convert::<i64>()
        .iter::<i64>()
        .next()
        .unwrap_or(0) as usize;
    Ok((
        nll_sum,
        Stats {
            nll_sum: nll,
            correct,
            tokens: m,
        },
    ))
}

/// Statistics of `examples` under `model` (no gradients), in batches of `batch_size`.
pub fn evaluate(model: &Gemma3, examples: &[Example], batch_size: usize) -> anyhow::Result<Stats> {
    let mut stats = Stats::default();
    for chunk in examples.chunks(batch_size.max(1)) {
        let refs: Vec<_> = chunk.iter().collect();
        stats.add(forward(model, &Batch::new(&refs))?.1);
    }
    Ok(stats)
}

fn ints(values: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_combine_by_token() {
        let mut s = Stats {
            nll_sum: 2.0,
            correct: 1,
            tokens: 2,
        };
        s.add(Stats {
            nll_sum: 4.0,
            correct: 2,
            tokens: 2,
        });
        assert_eq!(s.loss(), 1.5);
        assert_eq!(s.accuracy(), 0.75);
        assert!((s.perplexity() - 1.5f64.exp()).abs() < 1e-12);
    }
}
