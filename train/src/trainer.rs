//! The training loop: AdamW, warm-up + cosine schedule, gradient accumulation, global-norm
//! clipping, periodic validation and checkpoints, exact resume.
//!
//! A custom loop rather than burn-train's `Learner`: the Learner checkpoints and resumes whole
//! epochs only and does not save its data loader's shuffle position, while a CPU fine-tune is a
//! few hundred steps that must survive an interruption mid-epoch and continue on the very same
//! loss curve. Everything the Learner would give us beyond that (AdamW, gradient accumulation,
//! records) is Burn's own and used here directly.

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsAccumulator, GradientsParams, ModuleOptimizer};
use model::Gemma3;
use std::path::PathBuf;
use std::time::Instant;

use crate::checkpoint::{self, State};
use crate::clip;
use crate::data::order::DataOrder;
use crate::data::{Batch, Example};
use crate::loss::{self, Stats};
use crate::method::Method;
use crate::metrics::{Entry, MetricsLog, Split};
use crate::schedule;
use crate::train_config::TrainConfig;

/// Where and how a run reports; none of it changes the curve.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Run folder: checkpoints, `metrics.jsonl`.
    pub out: PathBuf,
    /// Continue from the newest checkpoint in `out`, if any.
    pub resume: bool,
    /// Stop (with a checkpoint) once this many steps are done, to continue later.
    pub stop_after: Option<usize>,
    /// Validate every this many steps (0: only before the first and after the last).
    pub eval_every: usize,
    /// Checkpoint every this many steps (0: only at the end).
    pub save_every: usize,
}

pub struct Outcome {
    /// The trained model, still carrying its adapters (if LoRA) and on the autodiff device.
    pub model: Gemma3,
    /// What this session logged.
    pub entries: Vec<Entry>,
    /// Steps done in total.
    pub step: usize,
    pub resumed_from: Option<usize>,
}

/// Fine-tunes `base` (loaded on an autodiff device) on `train`, validating on `valid`.
pub fn train(
    base: Gemma3,
    train: &[Example],
    valid: &[Example],
    cfg: &TrainConfig,
    run: &RunOptions,
) -> anyhow::Result<Outcome> {
    let device = base.device();
    anyhow::ensure!(
        device.is_autodiff(),
        "training needs the model on an autodiff device (`device.autodiff()`)"
    );
    anyhow::ensure!(!train.is_empty(), "no training examples");
    anyhow::ensure!(
        cfg.batch_size > 0 && cfg.grad_accum > 0 && cfg.steps > 0,
        "steps, batch size and accumulation must be positive"
    );
    if let Method::Lora(lora) = &cfg.method {
        lora.validate()?;
    }
    std::fs::create_dir_all(&run.out)?;

    device.seed(cfg.seed); // LoRA's initial A
    let mut model = cfg.method.prepare(base);
    let mut optim: ModuleOptimizer = AdamWConfig::new()
        .with_weight_decay(cfg.weight_decay as f32)
        .init();
    let fingerprint = checkpoint::fingerprint(train);
    let mut step = 0;
    let mut resumed_from = None;
    if run.resume {
        match checkpoint::latest(&run.out)? {
            Some(dir) => {
                let (m, o, state) = checkpoint::load(&dir, model, optim)?;
                state.check(cfg, fingerprint)?;
                (model, optim, step, resumed_from) = (m, o, state.step, Some(state.step));
                println!("resumed from {} at step {step}", dir.display());
            }
            None => println!(
                "no checkpoint in {}; starting from step 0",
                run.out.display()
            ),
        }
    }

    let mut log = MetricsLog::open(&run.out, step)?;
    let mut entries = Vec::new();
    let mut record = |entry: Entry, log: &mut MetricsLog| -> anyhow::Result<()> {
        log.log(&entry, cfg.steps)?;
        entries.push(entry);
        Ok(())
    };
    let validate = |model: &Gemma3, step: usize| -> anyhow::Result<Option<Entry>> {
        if valid.is_empty() {
            return Ok(None);
        }
        let stats = loss::evaluate(&model.valid(), valid, cfg.batch_size)?;
        Ok(Some(Entry::new(Split::Valid, step, &stats)))
    };
    if step == 0
        && let Some(e) = validate(&model, 0)?
    {
        record(e, &mut log)?;
    }

    let mut order = DataOrder::new(train.len(), cfg.seed);
    let last = run.stop_after.map_or(cfg.steps, |s| s.min(cfg.steps));
    while step < last {
        let start = Instant::now();
        let batches: Vec<Batch> = (0..cfg.grad_accum)
            .map(|k| {
                let picked: Vec<&Example> = order
                    .batch(step * cfg.grad_accum + k, cfg.batch_size)
                    .into_iter()
                    .map(|i| &train[i])
                    .collect();
                Batch::new(&picked)
            })
            .collect();
        // Each micro-batch's summed loss over the step's total targets: the accumulated gradient
        // is then exactly that of the mean over every target token of the step.
        let total: usize = batches.iter().map(Batch::num_targets).sum();
        let mut accumulator = GradientsAccumulator::new();
        let mut stats = Stats::default();
        for (k, batch) in batches.iter().enumerate() {
            device.seed(step_seed(cfg.seed, step, k)); // this micro-batch's dropout masks
            let (nll, s) = loss::forward(&model, batch)?;
            let grads = nll.div_scalar(total as f64).backward();
            accumulator.accumulate(&model, GradientsParams::from_grads(grads, &model));
            stats.add(s);
        }
        let grads = accumulator.grads();
        let (grads, grad_norm) = match cfg.max_grad_norm {
            Some(max) => clip::clip_global_norm(&model, grads, max)?,
            None => {
                let norm = clip::global_norm(&model, &grads)?;
                (grads, norm)
            }
        };
        let lr = schedule::lr_at(step, cfg.steps, cfg.warmup_steps, cfg.lr);
        model = optim.step(lr, model, grads);
        step += 1;

        let entry = Entry {
            lr: Some(lr),
            grad_norm: Some(grad_norm),
            secs: Some(start.elapsed().as_secs_f64()),
            ..Entry::new(Split::Train, step, &stats)
        };
        record(entry, &mut log)?;
        if ((run.eval_every > 0 && step % run.eval_every == 0) || step == cfg.steps)
            && let Some(e) = validate(&model, step)?
        {
            record(e, &mut log)?;
        }
        if (run.save_every > 0 && step % run.save_every == 0) || step == last {
            let state = State {
                step,
                config: cfg.clone(),
                data_fingerprint: fingerprint,
            };
            let dir = checkpoint::save(&run.out, &model, &optim, &state)?;
            println!("checkpoint {}", dir.display());
        }
    }
    Ok(Outcome {
        model,
        entries,
        step,
        resumed_from,
    })
}

/// A seed per (run, step, micro-batch) (SplitMix64 finaliser over the mix).
fn step_seed(seed: u64, step: usize, micro: usize) -> u64 {
    let mut z = seed
        ^ (step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (micro as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
