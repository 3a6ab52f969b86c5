//! The settings of a training run that shape its loss curve.

use serde::{Deserialize, Serialize};

use crate::method::Method;

/// Everything that shapes the loss curve; a checkpoint only resumes under the same values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub method: Method,
    /// Optimizer steps.
    pub steps: usize,
    /// Examples per micro-batch.
    pub batch_size: usize,
    /// Micro-batches per optimizer step.
    pub grad_accum: usize,
    /// Peak learning rate.
    pub lr: f64,
    pub warmup_steps: usize,
    pub weight_decay: f64,
    /// Clip the global gradient norm to this.
    pub max_grad_norm: Option<f64>,
    pub seed: u64,
}
