//! Two data-parallel replicas against one device, on the same global batch, data order and seed:
//! the loss at every step and the final weights agree. (One test in its own binary: the device
//! RNG is process-wide, and LoRA's initial A draws from it.)

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use common::*;
use model::{DeviceSpec, Gemma3};
use train::metrics::Split;
use train::replicas::GradSync;
use train::train_config::TrainConfig;
use train::trainer::{RunOptions, train};

/// Every float parameter's values, in visiting order.
fn weights(model: &Gemma3) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.extend(model::host::to_vec(param.val()).unwrap());
        }
    }
    let mut c = Collect(vec![]);
    model.valid().visit(&mut c);
    c.0
}

fn max_rel_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / x.abs().max(1.0))
        .fold(0.0, f32::max)
}

#[test]
fn two_replicas_follow_the_one_device_curve() {
    let data = examples(16, 9);
    let flex: DeviceSpec = "flex".parse().unwrap();
    // LoRA without dropout (masks are per replica) and full fine-tuning; accumulation and
    // clipping on, and an odd micro-batch so the shares are uneven.
    let base = TrainConfig {
        batch_size: 3,
        grad_accum: 2,
        lr: 1e-3,
        ..config(lora(0.0), 5)
    };
    let methods = [
        base.clone(),
        TrainConfig {
            method: train::method::Method::Full {
                freeze_embedding: false,
            },
            ..base
        },
    ];
    for (i, cfg) in methods.iter().enumerate() {
        let one = train(
            tiny(true),
            &data,
            &data[..4],
            cfg,
            &run(temp_dir(&format!("dp_one_{i}"))),
        )
        .unwrap();
        let two = train(
            tiny(true),
            &data,
            &data[..4],
            cfg,
            &RunOptions {
                devices: vec![flex, flex],
                grad_sync: Some(GradSync::Gather),
                ..run(temp_dir(&format!("dp_two_{i}")))
            },
        )
        .unwrap();
        let curve = |o: &train::trainer::Outcome| -> Vec<(Split, usize, f64, usize)> {
            o.entries
                .iter()
                .map(|e| (e.split, e.step, e.loss, e.tokens))
                .collect()
        };
        let (a, b) = (curve(&one), curve(&two));
        assert_eq!(a.len(), b.len());
        assert_eq!(a.iter().filter(|e| e.0 == Split::Train).count(), 5);
        for ((split, step, x, nx), (_, _, y, ny)) in a.iter().zip(&b) {
            assert_eq!(nx, ny, "{split:?} step {step}: token counts");
            assert!(
                (x - y).abs() <= 1e-5 * x.abs(),
                "method {i}, {split:?} step {step}: one device {x}, two replicas {y}"
            );
        }
        // Summation order aside, the two runs take the same steps; a wrong combination (a mean
        // for a sum, a lost replica) would differ by the size of the steps themselves.
        let start = {
            let model = tiny(true);
            model.device().seed(cfg.seed); // as train() does before LoRA's initial A
            weights(&cfg.method.prepare(model))
        };
        let (w1, w2) = (weights(&one.model), weights(&two.model));
        let moved = max_rel_diff(&start, &w1);
        let diff = max_rel_diff(&w1, &w2);
        println!("method {i}: weights moved by {moved:.3e}, one device vs two replicas {diff:.3e}");
        assert!(moved >= 1e-3, "method {i}: the run barely moved ({moved})");
        assert!(diff <= 1e-5, "method {i}: final weights differ by {diff}");
    }
}
