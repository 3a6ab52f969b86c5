//! `train bench`: training throughput of each replica layout on one workload, with the ratio to
//! the first layout, all in one invocation. Steps are timed by the training loop itself.

use burn::module::Module;
use clap::Args;
use gemma::args::ModelArgs;
use model::DeviceSpec;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;

use train::data::Example;
use train::lora::{LoraConfig, Target};
use train::method::Method;
use train::metrics::Split;
use train::replicas::GradSync;
use train::train_config::TrainConfig;
use train::trainer::{self, RunOptions};

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// A replica layout to time (repeat the flag for each): `flex`, `flex,flex`, `cuda:0,cuda:1`.
    /// Default: the --backend's device once, then twice.
    #[arg(long = "devices")]
    layouts: Vec<String>,
    #[arg(long, value_enum)]
    grad_sync: Option<GradSync>,
    /// LoRA (rank 8 on q,v) or full fine-tuning.
    #[arg(long)]
    full: bool,
    /// Global micro-batch (split over the replicas).
    #[arg(long, default_value_t = 4)]
    batch_size: usize,
    /// Tokens per example.
    #[arg(long, default_value_t = 128)]
    seq_len: usize,
    /// Timed steps per layout, after one untimed warm-up step.
    #[arg(long, default_value_t = 3)]
    steps: usize,
    /// Scratch folder for the runs' checkpoints.
    #[arg(long, default_value = "runs/train-bench")]
    out: PathBuf,
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    let layouts: Vec<Vec<DeviceSpec>> = if a.layouts.is_empty() {
        let one = DeviceSpec {
            backend: a.model.backend,
            index: 0,
        };
        vec![vec![one], vec![one, one]]
    } else {
        a.layouts
            .iter()
            .map(|l| l.split(',').map(str::parse).collect())
            .collect::<anyhow::Result<_>>()?
    };
    for layout in &layouts {
        train::replicas::plan(layout, a.grad_sync, a.batch_size)?;
    }
    let loaded = a.model.load_and_report()?;
    let vocab = loaded.model.config.vocab_size as u32;
    // Random tokens, the second half trained: the loss is irrelevant, the shapes are real.
    let mut rng = StdRng::seed_from_u64(0);
    let examples: Vec<Example> = (0..a.batch_size * (a.steps + 1))
        .map(|_| {
            let mut ids = || {
                (0..a.seq_len / 2)
                    .map(|_| rng.random_range(3..vocab))
                    .collect()
            };
            Example::from_segments([(ids(), false), (ids(), true)])
        })
        .collect();
    let cfg = TrainConfig {
        method: if a.full {
            Method::Full {
                freeze_embedding: false,
            }
        } else {
            Method::Lora(LoraConfig {
                rank: 8,
                alpha: 16.0,
                dropout: 0.0,
                targets: vec![Target::Q, Target::V],
            })
        },
        steps: a.steps + 1,
        batch_size: a.batch_size,
        grad_accum: 1,
        lr: 1e-4,
        warmup_steps: 0,
        weight_decay: 0.0,
        max_grad_norm: Some(1.0),
        seed: 0,
    };
    let tokens_per_step = (a.batch_size * a.seq_len) as f64;
    println!(
        "\n| replicas | devices | grad sync | tok/s | s/step | vs first |\n|---|---|---|---|---|---|"
    );
    let mut first = None;
    for (i, layout) in layouts.iter().enumerate() {
        let run = RunOptions {
            devices: layout.clone(),
            grad_sync: a.grad_sync,
            out: a.out.join(format!("layout-{i}")),
            resume: false,
            stop_after: None,
            eval_every: 0,
            save_every: 0,
        };
        let _ = std::fs::remove_dir_all(&run.out);
        let sync = train::replicas::plan(layout, a.grad_sync, a.batch_size)?;
        let outcome = trainer::train(loaded.model.clone().train(), &examples, &[], &cfg, &run)?;
        let secs: Vec<f64> = outcome
            .entries
            .iter()
            .filter(|e| e.split == Split::Train)
            .skip(1)
            .filter_map(|e| e.secs)
            .collect();
        let per_step = secs.iter().sum::<f64>() / secs.len().max(1) as f64;
        let rate = tokens_per_step / per_step;
        let ratio = rate / *first.get_or_insert(rate);
        let names: Vec<String> = layout.iter().map(|d| d.to_string()).collect();
        println!(
            "| {} | {} | {} | {rate:.1} | {per_step:.3} | {ratio:.2}x |",
            layout.len(),
            names.join(","),
            format!("{sync:?}").to_lowercase()
        );
    }
    println!(
        "\n{} examples of {} tokens per step, {}, {} timed steps each after one warm-up",
        a.batch_size,
        a.seq_len,
        if a.full {
            "full fine-tuning"
        } else {
            "LoRA r8 q,v"
        },
        a.steps
    );
    Ok(())
}
