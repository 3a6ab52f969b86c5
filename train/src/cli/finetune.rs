use anyhow::Context;
use burn::module::Module;
use clap::{Args, ValueEnum};
use gemma::args::ModelArgs;
use std::path::PathBuf;
use std::time::Instant;

use eval::records;
use model::DeviceSpec;
use train::data::{Record, encode, split};
use train::lora::{LoraConfig, Target};
use train::method::Method;
use train::replicas::GradSync;
use train::train_config::TrainConfig;
use train::trainer::{self, RunOptions};

use eval::extraction::command::{TaskOptions, compare};

#[derive(Clone, Copy, ValueEnum)]
enum MethodKind {
    Lora,
    Full,
}

#[derive(Args)]
pub struct FinetuneArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Training JSONL: chat (`{"messages": [...]}`) or `{"prompt", "completion"}` records.
    #[arg(long)]
    train: PathBuf,
    /// Validation JSONL; without it, --val-fraction of the training records is held out.
    #[arg(long)]
    valid: Option<PathBuf>,
    #[arg(long, default_value_t = 0.1)]
    val_fraction: f64,
    /// Run folder: checkpoints, metrics.jsonl, then adapter/ (LoRA) or model/ (full).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = MethodKind::Lora)]
    method: MethodKind,
    #[arg(long, default_value_t = 8)]
    lora_rank: usize,
    #[arg(long, default_value_t = 16.0)]
    lora_alpha: f64,
    #[arg(long, default_value_t = 0.05)]
    lora_dropout: f64,
    /// Projections that get adapters (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Target::Q, Target::V])]
    lora_targets: Vec<Target>,
    /// Full fine-tuning: keep the tied embedding (and so the LM head) frozen.
    #[arg(long)]
    freeze_embedding: bool,
    /// Optimizer steps.
    #[arg(long, default_value_t = 100)]
    steps: usize,
    #[arg(long, default_value_t = 4)]
    batch_size: usize,
    /// Micro-batches per optimizer step.
    #[arg(long, default_value_t = 1)]
    grad_accum: usize,
    /// Peak learning rate (AdamW).
    #[arg(long, default_value_t = 2e-4)]
    lr: f64,
    #[arg(long, default_value_t = 10)]
    warmup_steps: usize,
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Clip the global gradient norm (0: no clipping).
    #[arg(long, default_value_t = 1.0)]
    max_grad_norm: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Longest example in tokens; longer ones are dropped (and counted).
    #[arg(long, default_value_t = 128)]
    max_len: usize,
    /// Validate every N steps (0: only before and after).
    #[arg(long, default_value_t = 25)]
    eval_every: usize,
    /// Checkpoint every N steps (0: only at the end).
    #[arg(long, default_value_t = 25)]
    save_every: usize,
    /// Data-parallel replicas, one per entry (`flex,flex`, `cuda:0,cuda:1`); the first is the main
    /// device. --batch-size is the global micro-batch, split over them.
    #[arg(long, value_delimiter = ',')]
    devices: Vec<DeviceSpec>,
    /// How the replicas' gradients combine: Burn's all-reduce (distinct cuda devices) or its
    /// move-and-sum onto the main device (every backend). Default: collective where possible.
    #[arg(long, value_enum)]
    grad_sync: Option<GradSync>,
    /// Continue from the newest checkpoint in --out.
    #[arg(long)]
    resume: bool,
    /// Stop after this many steps (with a checkpoint), to --resume later.
    #[arg(long)]
    stop_after: Option<usize>,
    /// LoRA: also write the merged model to OUT/merged.
    #[arg(long)]
    merge: bool,
    /// After training, score the base and the tuned model on this extraction test set.
    #[arg(long)]
    task_test: Option<PathBuf>,
    #[command(flatten)]
    task: TaskOptions,
}

impl FinetuneArgs {
    fn method(&self) -> Method {
        match self.method {
            MethodKind::Full => Method::Full {
                freeze_embedding: self.freeze_embedding,
            },
            MethodKind::Lora => Method::Lora(LoraConfig {
                rank: self.lora_rank,
                alpha: self.lora_alpha,
                dropout: self.lora_dropout,
                targets: self.lora_targets.clone(),
            }),
        }
    }
}

pub fn run(a: FinetuneArgs) -> anyhow::Result<()> {
    // The devices are checked, and the data read and tokenized, before the model loads: a bad
    // line fails at once.
    if !a.devices.is_empty() {
        train::replicas::plan(&a.devices, a.grad_sync, a.batch_size)?;
    }
    let files = a.model.resolve()?;
    let (train_records, valid_records): (Vec<Record>, Vec<Record>) = match &a.valid {
        Some(v) => (records::read(&a.train)?, records::read(v)?),
        None => split::split(records::read(&a.train)?, a.val_fraction, a.seed)?,
    };
    let (train_set, dropped_t) = encode::encode_all(&train_records, &files.tokenizer, a.max_len)
        .context("tokenizing the training set")?;
    let (valid_set, dropped_v) = encode::encode_all(&valid_records, &files.tokenizer, a.max_len)
        .context("tokenizing the validation set")?;
    let task_records = a.task_test.as_ref().map(|p| records::read(p)).transpose()?;
    let loaded = a.model.load_files(files)?;
    println!(
        "loaded {} ({}, {}) in {:.1} s",
        loaded.model_path.display(),
        loaded.backend,
        loaded.dtype,
        loaded.load_secs
    );
    let tok = &loaded.tokenizer;
    println!(
        "{} training and {} validation examples ({} and {} longer than {} tokens dropped)",
        train_set.len(),
        valid_set.len(),
        dropped_t,
        dropped_v,
        a.max_len
    );

    let cfg = TrainConfig {
        method: a.method(),
        steps: a.steps,
        batch_size: a.batch_size,
        grad_accum: a.grad_accum,
        lr: a.lr,
        warmup_steps: a.warmup_steps,
        weight_decay: a.weight_decay,
        max_grad_norm: (a.max_grad_norm > 0.0).then_some(a.max_grad_norm),
        seed: a.seed,
    };
    let run = RunOptions {
        devices: a.devices.clone(),
        grad_sync: a.grad_sync,
        out: a.out.clone(),
        resume: a.resume,
        stop_after: a.stop_after,
        eval_every: a.eval_every,
        save_every: a.save_every,
    };
    let start = Instant::now();
    // `train()` moves the weights onto the autodiff device; the base keeps its own copy for scoring.
    let outcome = trainer::train(
        loaded.model.clone().train(),
        &train_set,
        &valid_set,
        &cfg,
        &run,
    )?;
    println!(
        "{} steps in {:.0} s",
        outcome.step - outcome.resumed_from.unwrap_or(0),
        start.elapsed().as_secs_f64()
    );
    if outcome.step < cfg.steps {
        println!(
            "stopped at step {} of {}; continue with --resume",
            outcome.step, cfg.steps
        );
        return Ok(());
    }

    let tuned = outcome.model.valid();
    match &cfg.method {
        Method::Lora(lora) => {
            train::adapter::save(&tuned, lora, &a.out.join("adapter"))?;
            println!("adapter written to {}", a.out.join("adapter").display());
            if a.merge {
                train::export::save_merged(&tuned, &a.out.join("merged"))?;
                println!("merged model written to {}", a.out.join("merged").display());
            }
        }
        Method::Full { .. } => {
            train::export::save_merged(&tuned, &a.out.join("model"))?;
            println!("model written to {}", a.out.join("model").display());
        }
    }
    if let (Some(test), Some(records)) = (&a.task_test, task_records) {
        let models = [("base", loaded.model), ("tuned", tuned.materialize())];
        compare(
            &models,
            tok,
            test,
            records,
            &a.task,
            Some(&a.out.join("task_report.json")),
        )?;
    }
    Ok(())
}
