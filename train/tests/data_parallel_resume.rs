//! A two-replica run with LoRA dropout, interrupted after a checkpoint and resumed, continues on
//! the uninterrupted two-replica curve; resuming it on another replica count is refused, since
//! the dropout masks are drawn per replica. (Its own binary: the device RNG is process-wide.)

mod common;

use common::*;
use model::DeviceSpec;
use train::metrics::{Entry, Split};
use train::replicas::GradSync;
use train::train_config::TrainConfig;
use train::trainer::{RunOptions, train};

fn train_losses(entries: &[Entry]) -> Vec<(usize, f64)> {
    entries
        .iter()
        .filter(|e| e.split == Split::Train)
        .map(|e| (e.step, e.loss))
        .collect()
}

#[test]
fn a_resumed_two_replica_run_follows_the_uninterrupted_curve() {
    let data = examples(12, 5);
    let cfg = TrainConfig {
        grad_accum: 2,
        batch_size: 3,
        ..config(lora(0.2), 6)
    };
    let flex: DeviceSpec = "flex".parse().unwrap();
    let two = |out| RunOptions {
        devices: vec![flex, flex],
        grad_sync: Some(GradSync::Gather),
        ..run(out)
    };

    let whole = train(tiny(true), &data, &data, &cfg, &two(temp_dir("dp_whole"))).unwrap();
    let again = train(tiny(true), &data, &data, &cfg, &two(temp_dir("dp_again"))).unwrap();
    // Dropout masks drawn on two threads at once still come out the same.
    assert_eq!(train_losses(&whole.entries), train_losses(&again.entries));

    let out = temp_dir("dp_split");
    let first = train(
        tiny(true),
        &data,
        &data,
        &cfg,
        &RunOptions {
            stop_after: Some(3),
            save_every: 2,
            ..two(out.clone())
        },
    )
    .unwrap();
    assert_eq!(first.step, 3);

    // One replica would draw other masks: refused, naming the count to use.
    let err = train(
        tiny(true),
        &data,
        &data,
        &cfg,
        &RunOptions {
            resume: true,
            ..run(out.clone())
        },
    )
    .err()
    .expect("another replica count is refused");
    assert!(err.to_string().contains("made on 2 replicas"), "{err}");

    let second = train(
        tiny(true),
        &data,
        &data,
        &cfg,
        &RunOptions {
            resume: true,
            ..two(out)
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
}
