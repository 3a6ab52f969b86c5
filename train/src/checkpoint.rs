//! Checkpoints that a run resumes from exactly: `RUN/checkpoints/step-NNNNNN/` holds the trained
//! parameters (`trainable.bpk`: adapters, or the weights a full run trains, with their parameter
//! ids), the AdamW state keyed by those ids (`optimizer.bpk`) and `state.json` (step, config,
//! data fingerprint). The data order and the dropout masks are pure functions of the seed and
//! the step, so no RNG state needs saving.
//!
//! A checkpoint is written under a `.partial` name and renamed when complete, and only the
//! newest one is kept, so an interruption at any moment leaves a usable checkpoint behind.

use anyhow::{Context, bail};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use model::Gemma3;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::data::Example;
use crate::train_config::TrainConfig;

const TRAINABLE: &str = "trainable.bpk";
const OPTIMIZER: &str = "optimizer.bpk";
const STATE: &str = "state.json";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Optimizer steps done.
    pub step: usize,
    pub config: TrainConfig,
    /// Of the training examples, so resuming on other data is refused.
    pub data_fingerprint: u64,
    /// Data-parallel replicas of the run (checkpoints from before they existed had one).
    #[serde(default = "one")]
    pub replicas: usize,
}

fn one() -> usize {
    1
}

impl State {
    /// Refuses to continue a run under a different configuration or data.
    pub fn check(&self, config: &TrainConfig, data_fingerprint: u64) -> anyhow::Result<()> {
        if &self.config != config {
            bail!(
                "the checkpoint was made with another configuration; resume with the same settings or start a new run folder\n  checkpoint: {}\n  now:        {}",
                serde_json::to_string(&self.config)?,
                serde_json::to_string(config)?
            );
        }
        if self.data_fingerprint != data_fingerprint {
            bail!(
                "the checkpoint was made on other training data (fingerprint {:016x}, now {data_fingerprint:016x})",
                self.data_fingerprint
            );
        }
        Ok(())
    }

    /// Whether a run on `replicas` continues this checkpoint's curve. The step's gradient is the
    /// whole batch's on any number of replicas, so a different count continues it up to float
    /// rounding, except where dropout draws masks per replica: there it is refused.
    pub fn check_replicas(&self, config: &TrainConfig, replicas: usize) -> anyhow::Result<()> {
        if self.replicas != replicas && config.method.draws_random() {
            bail!(
                "the checkpoint was made on {} replicas and this run has {replicas}: with LoRA dropout each replica draws \
                 its own masks, so another count would not continue the same loss curve; resume with {} entries in --devices",
                self.replicas,
                self.replicas
            );
        }
        Ok(())
    }
}

/// FNV-1a over the examples' ids and loss masks.
pub fn fingerprint(examples: &[Example]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |v: u64| {
        for b in v.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for ex in examples {
        eat(ex.ids.len() as u64);
        ex.ids
            .iter()
            .zip(&ex.targets)
            .for_each(|(&id, &t)| eat(((id as u64) << 1) | t as u64));
    }
    h
}

fn checkpoints_dir(run: &Path) -> PathBuf {
    run.join("checkpoints")
}

/// Writes a checkpoint of `model`'s trained parameters and `optim` at `state.step`.
pub fn save(
    run: &Path,
    model: &Gemma3,
    optim: &ModuleOptimizer,
    state: &State,
) -> anyhow::Result<PathBuf> {
    let root = checkpoints_dir(run);
    let done = root.join(format!("step-{:06}", state.step));
    let partial = done.with_extension("partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    std::fs::create_dir_all(&partial).with_context(|| format!("creating {}", partial.display()))?;
    let io = |what: &str, e: burn::store::RecordError| {
        anyhow::anyhow!("writing {what} in {}: {e}", partial.display())
    };
    model
        .clone()
        .into_record_group(state.config.method.trainable())
        .save(partial.join(TRAINABLE))
        .map_err(|e| io(TRAINABLE, e))?;
    optim
        .save(partial.join(OPTIMIZER))
        .map_err(|e| io(OPTIMIZER, e))?;
    std::fs::write(partial.join(STATE), serde_json::to_string_pretty(state)?)?;
    if done.exists() {
        std::fs::remove_dir_all(&done)?;
    }
    std::fs::rename(&partial, &done)
        .with_context(|| format!("renaming {} to {}", partial.display(), done.display()))?;
    for old in list(run)?.into_iter().filter(|(_, p)| *p != done) {
        std::fs::remove_dir_all(&old.1).with_context(|| format!("removing {}", old.1.display()))?;
    }
    Ok(done)
}

/// Complete checkpoints of a run, as `(step, folder)`.
fn list(run: &Path) -> anyhow::Result<Vec<(usize, PathBuf)>> {
    let root = checkpoints_dir(run);
    if !root.exists() {
        return Ok(vec![]);
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&root).with_context(|| format!("reading {}", root.display()))? {
        let path = entry?.path();
        let step = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("step-"))
            .and_then(|n| n.parse().ok());
        if let Some(step) = step.filter(|_| path.join(STATE).exists()) {
            found.push((step, path));
        }
    }
    found.sort();
    Ok(found)
}

/// The newest complete checkpoint of a run.
pub fn latest(run: &Path) -> anyhow::Result<Option<PathBuf>> {
    Ok(list(run)?.pop().map(|(_, p)| p))
}

/// Restores the trained parameters (values and ids) into `model`, which must be prepared the
/// same way as the checkpointed one, and the optimizer state.
pub fn load(
    dir: &Path,
    model: Gemma3,
    optim: ModuleOptimizer,
) -> anyhow::Result<(Gemma3, ModuleOptimizer, State)> {
    let state_path = dir.join(STATE);
    let state: State = serde_json::from_str(
        &std::fs::read_to_string(&state_path)
            .with_context(|| format!("reading {}", state_path.display()))?,
    )
    .with_context(|| format!("{}: not a checkpoint state", state_path.display()))?;
    let io = |what: &str, e: burn::store::RecordError| {
        anyhow::anyhow!("{}: {e}", dir.join(what).display())
    };
    let record = ModuleRecord::load(dir.join(TRAINABLE))
        .map_err(|e| io(TRAINABLE, e))?
        .allow_partial(true);
    let model = model
        .try_load_record(record)
        .map_err(|e| io(TRAINABLE, e))?;
    let optim = optim
        .load(dir.join(OPTIMIZER))
        .map_err(|e| io(OPTIMIZER, e))?;
    Ok((model, optim, state))
}
