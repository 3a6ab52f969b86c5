//! Data parallelism: one replica of the model per device, each on its share of every
//! micro-batch, and one optimizer step on the sum of their gradients.
//!
//! The exchange is Burn's, never ours:
//! - [`GradSync::Collective`]: the parameters are marked distributed (burn-train's
//!   `ModuleSharder`) under a [`DistributedContext`], and each backward all-reduces every
//!   gradient in place as soon as it is produced. Burn 0.22.1 implements the collective on CUDA
//!   only (NCCL, in one process); its CPU backends have none (burn-backend-extension's
//!   `catalog.rs`: `distributed: false` for Flex, NdArray and LibTorch).
//! - [`GradSync::Gather`]: each replica's gradients move to the main device
//!   (`GradientsParams::to_device`) and are summed there (`GradientsAccumulator`), as burn-train's
//!   multi-device strategy does. It works on every backend, and replicas may share a device.
//!
//! Either way the optimizer steps once, on the main device, and the next step forks the updated
//! model to the replicas, so they never drift apart.

use anyhow::{Context, bail, ensure};
use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::Device;
use burn::tensor::distributed::{DistributedConfig, DistributedContext, ReduceOperation};
use burn::train::ModuleSharder;
use model::{BackendKind, DeviceSpec, Gemma3};
use std::sync::Mutex;

use crate::data::{Batch, Example};
use crate::loss::{self, Stats};

/// How the replicas' gradients are combined (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GradSync {
    /// Burn's all-reduce (CUDA's NCCL), one device per replica.
    Collective,
    /// Burn's move-and-sum onto the main device; every backend.
    Gather,
}

/// Burn's backends keep one RNG per process (flex's global seed, cubecl's, `tch::manual_seed`):
/// a replica seeds it and draws its dropout masks while holding this.
static RNG: Mutex<()> = Mutex::new(());

/// The devices of a run, the first of them the main one, which holds the optimizer.
#[derive(Debug)]
pub struct Replicas {
    devices: Vec<Device>,
    sync: GradSync,
    /// Burn's gradient-sync server, for as long as the run lasts.
    _collective: Option<DistributedContext>,
}

impl Replicas {
    /// One replica, on `device` (an autodiff device).
    pub fn single(device: Device) -> Self {
        Self {
            devices: vec![device],
            sync: GradSync::Gather,
            _collective: None,
        }
    }

    /// One replica per entry of `specs` (repeats share a device), checked by [`plan`].
    pub fn new(
        specs: &[DeviceSpec],
        sync: Option<GradSync>,
        batch_size: usize,
    ) -> anyhow::Result<Self> {
        let sync = plan(specs, sync, batch_size)?;
        let devices = specs
            .iter()
            .map(|s| Ok(s.device()?.autodiff()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let _collective = (sync == GradSync::Collective).then(|| {
            DistributedContext::init(
                devices.clone(),
                DistributedConfig {
                    all_reduce_op: ReduceOperation::Sum,
                },
            )
        });
        Ok(Self {
            devices,
            sync,
            _collective,
        })
    }

    /// The device that holds the model between steps, and the optimizer.
    pub fn main(&self) -> &Device {
        &self.devices[0]
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    pub fn sync(&self) -> GradSync {
        self.sync
    }

    /// Adds to `acc` the gradient of `Σ nll(examples) / total` at `model` (on the main device),
    /// each replica `r` taking its contiguous share of `examples` and, if `draws_random`, its
    /// dropout masks from the seed `seed(r)`. Returns the examples' statistics.
    pub fn accumulate(
        &self,
        model: &Gemma3,
        examples: &[&Example],
        total: usize,
        seed: impl Fn(usize) -> u64,
        draws_random: bool,
        acc: &mut GradientsAccumulator<Gemma3>,
    ) -> anyhow::Result<Stats> {
        if self.len() == 1 {
            self.main().seed(seed(0));
            let (nll, stats) = loss::forward(model, &Batch::new(examples))?;
            let grads = nll.div_scalar(total as f64).backward();
            acc.accumulate(model, GradientsParams::from_grads(grads, model));
            return Ok(stats);
        }
        ensure!(
            examples.len() >= self.len(),
            "a micro-batch of {} examples cannot be split over {} replicas; use --batch-size {} or more",
            examples.len(),
            self.len(),
            self.len()
        );
        let collective = self.sync == GradSync::Collective;
        // Every replica runs at once: a collective backward waits for all of them.
        let results: Vec<anyhow::Result<(GradientsParams, Stats)>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .devices
                .iter()
                .zip(shares(examples, self.len()))
                .enumerate()
                .map(|(r, (device, share))| {
                    let replica = model.clone();
                    let seed = seed(r);
                    s.spawn(move || -> anyhow::Result<(GradientsParams, Stats)> {
                        let mut replica = replica.fork(device);
                        if collective {
                            replica = replica.map(&mut ModuleSharder);
                        }
                        let batch = Batch::new(share);
                        let (nll, stats) = {
                            let _rng = draws_random.then(|| RNG.lock());
                            device.seed(seed);
                            loss::forward(&replica, &batch)?
                        };
                        let grads = nll.div_scalar(total as f64).backward();
                        Ok((GradientsParams::from_grads(grads, &replica), stats))
                    })
                })
                .collect();
            handles
                .into_iter()
                .enumerate()
                .map(|(r, h)| match h.join() {
                    Ok(result) => result.with_context(|| format!("replica {r}")),
                    Err(_) => Err(anyhow::anyhow!(
                        "replica {r} panicked (its message is above)"
                    )),
                })
                .collect()
        });
        let mut stats = Stats::default();
        for (r, result) in results.into_iter().enumerate() {
            let (grads, s) = result?;
            stats.add(s);
            // After an all-reduce every replica holds the sum; the main one's is used.
            if !collective || r == 0 {
                acc.accumulate(model, grads.to_device(self.main(), model));
            }
        }
        Ok(stats)
    }
}

/// Checks a run's `--devices` and `--grad-sync` against its `--batch-size` before anything
/// loads, and resolves the sync: without one, the collective where Burn has it (distinct cuda
/// devices), else the gather.
pub fn plan(
    specs: &[DeviceSpec],
    sync: Option<GradSync>,
    batch_size: usize,
) -> anyhow::Result<GradSync> {
    let Some(first) = specs.first() else {
        bail!("--devices lists no device");
    };
    if let Some(other) = specs.iter().find(|s| s.backend != first.backend) {
        bail!(
            "--devices mixes backends ({first} and {other}); the replicas of one run share a backend"
        );
    }
    ensure!(
        batch_size >= specs.len(),
        "--batch-size {batch_size} is split over {} replicas; it must be at least {}",
        specs.len(),
        specs.len()
    );
    let distinct = specs
        .iter()
        .enumerate()
        .all(|(i, s)| !specs[..i].contains(s));
    let collective_ok = first.backend == BackendKind::Cuda && distinct;
    let sync = sync.unwrap_or(if collective_ok && specs.len() > 1 {
        GradSync::Collective
    } else {
        GradSync::Gather
    });
    if sync == GradSync::Collective && !collective_ok {
        bail!(
            "--grad-sync collective needs distinct cuda devices (got {}): Burn 0.22.1 implements its all-reduce on CUDA only, \
             one device per rank; use --grad-sync gather, which works on every backend",
            specs
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    Ok(sync)
}

/// `items` in `n` contiguous shares whose sizes differ by at most one, the larger ones first.
fn shares<T>(items: &[T], n: usize) -> impl Iterator<Item = &[T]> {
    let (base, extra) = (items.len() / n, items.len() % n);
    (0..n).scan(0, move |start, r| {
        let len = base + usize::from(r < extra);
        let share = &items[*start..*start + len];
        *start += len;
        Some(share)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_contiguous_and_balanced() {
        let items: Vec<usize> = (0..7).collect();
        let got: Vec<&[usize]> = shares(&items, 3).collect();
        assert_eq!(got, [&[0, 1, 2][..], &[3, 4], &[5, 6]]);
        let got: Vec<&[usize]> = shares(&items[..2], 2).collect();
        assert_eq!(got, [&[0][..], &[1]]);
    }

    #[test]
    fn the_collective_is_refused_where_burn_has_none() {
        let flex: DeviceSpec = "flex".parse().unwrap();
        let err = plan(&[flex, flex], Some(GradSync::Collective), 4)
            .unwrap_err()
            .to_string();
        assert!(err.contains("CUDA only"), "{err}");
        assert_eq!(plan(&[flex, flex], None, 4).unwrap(), GradSync::Gather);
        let auto = Replicas::new(&[flex, flex], None, 2).unwrap();
        assert_eq!((auto.len(), auto.sync()), (2, GradSync::Gather));
        let (cuda0, cuda1): (DeviceSpec, DeviceSpec) =
            ("cuda:0".parse().unwrap(), "cuda:1".parse().unwrap());
        assert_eq!(
            plan(&[cuda0, cuda1], None, 4).unwrap(),
            GradSync::Collective
        );
        assert_eq!(plan(&[cuda0, cuda0], None, 4).unwrap(), GradSync::Gather);
        let err = plan(&[flex, cuda1], None, 4).unwrap_err().to_string();
        assert!(err.contains("mixes backends"), "{err}");
        let err = plan(&[flex, flex, flex], None, 2).unwrap_err().to_string();
        assert!(err.contains("at least 3"), "{err}");
    }
}
