//! A run interrupted after a checkpoint and resumed continues on the same loss curve as an
//! uninterrupted run with the same seed: adapters, AdamW moments, schedule, data order and
//! dropout masks all come back. (One test in its own binary: the device RNG is process-wide.)

mod common;

use common::*;
use train::metrics::Split;
use train::train_config::TrainConfig;
use train::trainer::{RunOptions, train};

#[test]
fn resumed_run_follows_the_uninterrupted_curve() {
    let data = examples(12, 5);
    // Dropout and accumulation on, so their RNG and data order must resume too.
    let cfg = TrainConfig {
        grad_accum: 2,
        batch_size: 3,
        ..config(lora(0.2), 8)
    };
    let train_losses = |entries: &[train::metrics::Entry]| {
        entries
            .iter()
            .filter(|e| e.split == Split::Train)
            .map(|e| (e.step, e.loss))
            .collect::<Vec<_>>()
    };

    let whole = train(
        tiny(true),
        &data,
        &data,
        &cfg,
        &run(temp_dir("resume_whole")),
    )
    .unwrap();

    let out = temp_dir("resume_split");
    let first = train(
        tiny(true),
        &data,
        &data,
        &cfg,
        &RunOptions {
            stop_after: Some(3),
            save_every: 2,
            ..run(out.clone())
        },
    )
    .unwrap();
    assert_eq!(first.step, 3);
    let second = train(
        tiny(true),
        &data,
        &data,
        &cfg,
        &RunOptions {
            resume: true,
            ..run(out.clone())
        },
    )
    .unwrap();
    assert_eq!(second.resumed_from, Some(3));

    let joined: Vec<(usize, f64)> = train_losses(&first.entries)
        .into_iter()
        .chain(train_losses(&second.entries))
        .collect();
    let expected = train_losses(&whole.entries);
    assert_eq!(joined.len(), expected.len());
    for ((s, got), (_, want)) in joined.iter().zip(&expected) {
        assert!(
            (got - want).abs() < 1e-5 * want.abs().max(1.0),
            "step {s}: resumed {got} vs uninterrupted {want}"
        );
    }
    let final_valid = |entries: &[train::metrics::Entry]| {
        entries
            .iter()
            .rfind(|e| e.split == Split::Valid)
            .unwrap()
            .loss
    };
    assert!((final_valid(&second.entries) - final_valid(&whole.entries)).abs() < 1e-5);

    // The log holds one clean curve: the interrupted session's entries up to the checkpoint, then the resumed ones.
    let log = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let steps: Vec<usize> = log
        .lines()
        .map(|l| serde_json::from_str::<train::metrics::Entry>(l).unwrap())
        .filter(|e| e.split == Split::Train)
        .map(|e| e.step)
        .collect();
    assert_eq!(steps, (1..=8).collect::<Vec<_>>());

    // A different configuration is refused rather than silently mixed.
    let other = TrainConfig { lr: 0.5, ..cfg };
    let err = train(
        tiny(true),
        &data,
        &data,
        &other,
        &RunOptions {
            resume: true,
            ..run(out)
        },
    )
    .err()
    .expect("mismatch is refused");
    assert!(err.to_string().contains("another configuration"), "{err}");
}
