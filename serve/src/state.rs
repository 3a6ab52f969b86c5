//! What every handler shares: the settings, the tokenizer, the engine's worker, the metrics.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use model::GemmaTokenizer;

use crate::config::ServeConfig;
use crate::metrics::Metrics;
use crate::worker::Worker;

pub(crate) struct AppState {
    pub(crate) cfg: ServeConfig,
    pub(crate) tokenizer: Arc<GemmaTokenizer>,
    pub(crate) worker: Worker,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) context: usize,
    pub(crate) vocab: usize,
    pub(crate) key_hash: Option<[u8; 32]>,
    pub(crate) created: u64,
    pub(crate) shutting_down: AtomicBool,
}
