//! One chunk through the model: the logits of its scored positions, and its line of
//! `chunks.jsonl`.

use anyhow::Result;
use model::{Gemma3, host};
use serde::{Deserialize, Serialize};

use super::kld::ChunkKld;

/// Positions whose logits are computed at once: 64 × 262144 f32 is 64 MiB, under wgpu's
/// 128 MiB limit on one buffer.
pub const LOGIT_BLOCK: usize = 64;

/// The results of one chunk, one line of `chunks.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub chunk: usize,
    /// `-log p` of each scored token.
    pub nll: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kld: Option<ChunkKld>,
}

impl ChunkRecord {
    pub fn mean_nll(&self) -> f64 {
        self.nll.iter().sum::<f64>() / self.nll.len() as f64
    }
}

/// Runs `tokens` from an empty cache and returns `f(position, logits)` for the scored
/// positions `n/2 .. n-2`, in order; position `p` predicts `tokens[p + 1]`. The rows of a
/// block are shared among the cores: the host-side log-softmax is a tenth of a chunk's time.
pub fn map_scored_rows<R: Send>(
    model: &Gemma3,
    tokens: &[u32],
    f: impl Fn(usize, &[f32]) -> R + Sync,
) -> Result<Vec<R>> {
    let n = tokens.len();
    let mut cache = model.new_cache(1);
    let hidden = model.forward(host::tokens(tokens, 1, &model.device()), &mut cache);
    let d = hidden.dims()[2];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let mut out = Vec::with_capacity(n);
    for start in (n / 2..n - 1).step_by(LOGIT_BLOCK) {
        let end = (start + LOGIT_BLOCK).min(n - 1);
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
