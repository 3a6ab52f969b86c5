//! One chunk's results, its line of `chunks.jsonl`.

use serde::{Deserialize, Serialize};

use super::kld::ChunkKld;

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
    /// Whether this is chunk `index` with `scored` tokens, with KL numbers iff `compare`.
    pub fn fits(&self, index: usize, scored: usize, compare: bool) -> bool {
        self.chunk == index && self.nll.len() == scored && self.kld.is_some() == compare
    }

    pub fn mean_nll(&self) -> f64 {
        self.nll.iter().sum::<f64>() / self.nll.len() as f64
    }
}
