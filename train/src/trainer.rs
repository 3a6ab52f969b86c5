//! The training loop: AdamW, warm-up + cosine schedule, gradient accumulation, global-norm
//! clipping, periodic validation and checkpoints, exact resume.
//!
//! A custom loop rather than burn-train's `Learner`: the Learner checkpoints and resumes whole
//! epochs only and does not save its data loader's shuffle position, while a CPU fine-tune is a
//! few hundred steps that must survive an interruption mid-epoch and continue on the very same
//! loss curve. Everything the Learner would give us beyond that (AdamW, gradient accumulation,
//! records) is Burn's own and used here directly.

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsAccumulator, ModuleOptimizer};
use model::{DeviceSpec, Gemma3};
use std::path::PathBuf;
use std::time::Instant;

use crate::checkpoint::{self, State};
use crate::clip;
use crate::data::Example;
use crate::data::order::DataOrder;
use crate::loss::{self, Stats};
use crate::method::Method;
use crate::metrics::{Entry, MetricsLog, Split};
use crate::replicas::{GradSync, Replicas};
use crate::schedule;
use crate::train_config::TrainConfig;

/// Where and on what a run goes, and how it reports. Of these only the replica count reaches the
/// curve, through the dropout masks (see [`crate::checkpoint::State::check_replicas`]).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Data-parallel replicas, the first the main device (empty: one, on the model's device).
    pub devices: Vec<DeviceSpec>,
    /// How their gradients combine (None: Burn's collective where it has one, else gather).
    pub grad_sync: Option<GradSync>,
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

/// Fine-tunes `base` (loaded on an autodiff device) on `train`, validating on `valid`. With
/// several `run.devices`, each micro-batch is split over one replica per device and the step
/// takes the sum of their gradients: the same step as on one device, up to float rounding.
pub fn train(
    base: Gemma3,
    train: &[Example],
    valid: &[Example],
    cfg: &TrainConfig,
    run: &RunOptions,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        base.device().is_autodiff(),
        "training needs the model on an autodiff device (`device.autodiff()`)"
    );
    anyhow::ensure!(!train.is_empty(), "no training examples");
    anyhow::ensure!(
        cfg.batch_size > 0 && cfg.grad_accum > 0 && cfg.steps > 0,
        "steps, batch size and accumulation must be positive"
    );
    let replicas = if run.devices.is_empty() {
        Replicas::single(base.device())
    } else {
        Replicas::new(&run.devices, run.grad_sync, cfg.batch_size)?
    };
    let base = if run.devices.is_empty() {
        base
    } else {
        base.fork(replicas.main())
    };
    let device = replicas.main().clone();
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
                state.check_replicas(cfg, replicas.len())?;
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
        let micro: Vec<Vec<&Example>> = (0..cfg.grad_accum)
            .map(|k| {
                order
                    .batch(step * cfg.grad_accum + k, cfg.batch_size)
                    .into_iter()
                    .map(|i| &train[i])
                    .collect()
            })
            .collect();
        // Each share's summed loss over the step's total targets: the accumulated gradient is
        // then exactly that of the mean over every target token of the step.
        let total: usize = micro.iter().flatten().map(|e| e.num_targets()).sum();
        let mut accumulator = GradientsAccumulator::new();
        let mut stats = Stats::default();
        let n = replicas.len();
        for (k, picked) in micro.iter().enumerate() {
            // Each replica's dropout masks: one seed per (step, micro-batch, replica).
            let seed = |r: usize| step_seed(cfg.seed, step, k * n + r);
            stats.add(replicas.accumulate(
                &model,
                picked,
                total,
                seed,
                cfg.method.draws_random(),
                &mut accumulator,
            )?);
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
                replicas: replicas.len(),
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
