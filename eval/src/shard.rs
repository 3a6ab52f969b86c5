//! Sharding: one process's part of a run's work (prompts, chunks or variants), split the same
//! way on every machine, so that a cluster scheduler's array of jobs covers the run exactly
//! once and `merge` can join the parts into what a single run writes.
//!
//! Item `i` of the work belongs to shard `i mod N` (strided, so long and short prompts spread
//! over the shards alike). Indices are 0-based, as Kubernetes' `JOB_COMPLETION_INDEX`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The key of a shard's [`Part`] in its `run.json`.
pub const SETTINGS_KEY: &str = "shard";

/// The Kubernetes Indexed Job count, when `--shard-count` is not given.
pub const SHARD_COUNT_ENV: &str = "GEMMA_SHARD_COUNT";

/// Shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// All the work in one process.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    pub fn new(index: usize, count: usize) -> Result<Self> {
        if count == 0 || index >= count {
            bail!("shard {index}/{count}: the index must lie in 0..{count} (0-based)");
        }
        Ok(Self { index, count })
    }

    pub fn is_whole(&self) -> bool {
        self.count == 1
    }

    /// Whether item `i` of the work is this shard's.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count == self.index
    }

    /// This shard's items, in their order.
    pub fn select<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .enumerate()
            .filter(|(i, _)| self.owns(*i))
            .map(|(_, x)| x.clone())
            .collect()
    }

    /// The shard's subfolder name, `shard-I-of-N`.
    pub fn dir_name(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }

    /// Where this shard writes inside a run's output folder: the folder itself when whole.
    pub fn folder(&self, output_dir: &Path) -> PathBuf {
        if self.is_whole() {
            output_dir.to_owned()
        } else {
            output_dir.join(self.dir_name())
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let parsed = s
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) => Self::new(index, count),
            None => bail!("expected I/N (shard I of N, 0-based), got {s:?}"),
        }
    }
}

/// What a shard's `run.json` holds beyond the whole run's settings: which shard, and what the
/// whole run covers, so that `merge` can check a set of shards and re-derive the split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    #[serde(flatten)]
    pub shard: Shard,
    /// The command that was split: ifeval, ifbench, perplexity or quantization.
    pub task: String,
    /// What the whole run covers (input data and limit, chunk count, variants).
    pub work: Value,
}

impl Part {
    /// A shard's settings: the whole run's `settings` with the part added (unchanged for
    /// `None`, so an unsharded folder keeps the settings it always had).
    pub fn settings(part: Option<&Part>, mut settings: Value) -> Value {
        if let (Some(part), Some(map)) = (part, settings.as_object_mut()) {
            map.insert(
                SETTINGS_KEY.into(),
                serde_json::to_value(part).expect("a part serializes"),
            );
        }
        settings
    }
}

/// `--shard` and `--shard-count`, flattened into the commands that can run sharded.
#[derive(Args, Clone, Debug, Default)]
pub struct ShardArgs {
    /// Run only shard I of N (0-based; item k of the work goes to shard k mod N) into
    /// <output-dir>/shard-I-of-N; join the shards with `eval merge` (or `experiments merge`).
    /// [default: from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or from Kubernetes'
    /// JOB_COMPLETION_INDEX with --shard-count; otherwise the whole run. `--shard 0/1`
    /// ignores those variables.]
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// The number of shards for a Kubernetes Indexed Job (its `completions`), whose index
    /// comes from JOB_COMPLETION_INDEX.
    #[arg(long, env = SHARD_COUNT_ENV, value_name = "N")]
    pub shard_count: Option<usize>,
}

impl ShardArgs {
    /// This process's shard: the flag, else the scheduler's variables (printed, so a run that
    /// picked them up by surprise says so), else the whole run.
    pub fn resolve(&self) -> Result<Shard> {
        let (shard, from) = self.resolve_with(|name| std::env::var(name).ok())?;
        if let Some(from) = from {
            eprintln!("running shard {shard} (from {from}); `--shard 0/1` runs everything");
        }
        Ok(shard)
    }

    /// [`ShardArgs::resolve`] with the environment given; also says which variables set it.
    pub fn resolve_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(Shard, Option<&'static str>)> {
        // The flag wins over the count too: `GEMMA_SHARD_COUNT` may be set for a whole pod.
        if let Some(shard) = self.shard {
            return Ok((shard, None));
        }
        let number = |name: &'static str| -> Result<Option<usize>> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a non-negative integer"))
                })
                .transpose()
        };
        if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let Some(count) = number("SLURM_ARRAY_TASK_COUNT")? else {
                bail!("SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_COUNT");
            };
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            if id < min || !(id - min).is_multiple_of(step) {
                bail!(
                    "SLURM_ARRAY_TASK_ID={id} is not on the array's grid (min {min}, step {step}); pass --shard I/N"
                );
            }
            if let Some(n) = self.shard_count.filter(|&n| n != count) {
                bail!("a shard count of {n} is given, but SLURM_ARRAY_TASK_COUNT is {count}");
            }
            let shard = Shard::new((id - min) / step, count).map_err(|e| {
                anyhow::anyhow!("{e} (from SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_MIN={min})")
            })?;
            return Ok((shard, Some("SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT")));
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let Some(count) = self.shard_count else {
                bail!(
                    "JOB_COMPLETION_INDEX={index} is set but the shard count is not: pass --shard-count N or set {SHARD_COUNT_ENV} (the Job's completions), or pass --shard 0/1 to run everything"
                );
            };
            return Ok((
                Shard::new(index, count)?,
                Some("JOB_COMPLETION_INDEX and the shard count"),
            ));
        }
        if let Some(count) = self.shard_count {
            bail!(
                "a shard count of {count} is given but no index: pass --shard I/{count} or run as an indexed job"
            );
        }
        Ok((Shard::WHOLE, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: ShardArgs, vars: &[(&str, &str)]) -> Result<Shard> {
        args.resolve_with(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .map(|(s, _)| s)
    }

    #[test]
    fn every_item_goes_to_exactly_one_shard() {
        let items: Vec<usize> = (0..23).collect();
        let mut seen: Vec<usize> = (0..4)
            .flat_map(|i| Shard::new(i, 4).unwrap().select(&items))
            .collect();
        seen.sort();
        assert_eq!(seen, items);
        assert_eq!(
            Shard::new(1, 4).unwrap().select(&items),
            [1, 5, 9, 13, 17, 21]
        );
        assert_eq!(Shard::WHOLE.select(&items), items);
    }

    #[test]
    fn shard_text_parses_and_bad_text_is_refused() {
        assert_eq!(
            "3/8".parse::<Shard>().unwrap(),
            Shard { index: 3, count: 8 }
        );
        for bad in ["8/8", "1/0", "3", "a/b", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(
            Shard::new(2, 8).unwrap().folder(Path::new("out")),
            Path::new("out/shard-2-of-8")
        );
        assert_eq!(Shard::WHOLE.folder(Path::new("out")), Path::new("out"));
    }

    #[test]
    fn schedulers_variables_give_the_shard() {
        let none = ShardArgs::default();
        assert_eq!(resolve(none.clone(), &[]).unwrap(), Shard::WHOLE);
        // `--array=1-8`: ids 1..=8.
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ];
        assert_eq!(
            resolve(none.clone(), &slurm).unwrap(),
            Shard::new(2, 8).unwrap()
        );
        // `--array=0-14:2`.
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ];
        assert_eq!(
            resolve(none.clone(), &stepped).unwrap(),
            Shard::new(3, 8).unwrap()
        );
        let k8s = [("JOB_COMPLETION_INDEX", "5")];
        let counted = ShardArgs {
            shard_count: Some(6),
            ..Default::default()
        };
        assert_eq!(
            resolve(counted.clone(), &k8s).unwrap(),
            Shard::new(5, 6).unwrap()
        );
        // The flag wins; 0/1 opts out of an array job's variables.
        let flag = ShardArgs {
            shard: Some(Shard::WHOLE),
            shard_count: Some(6),
        };
        assert_eq!(resolve(flag.clone(), &slurm).unwrap(), Shard::WHOLE);
        assert_eq!(resolve(flag, &k8s).unwrap(), Shard::WHOLE);

        for (args, vars, needle) in [
            (none.clone(), &k8s[..], "--shard-count"),
            (counted.clone(), &[][..], "no index"),
            (
                none.clone(),
                &[("SLURM_ARRAY_TASK_ID", "3")][..],
                "SLURM_ARRAY_TASK_COUNT",
            ),
            (
                none.clone(),
                &[
                    ("SLURM_ARRAY_TASK_ID", "x"),
                    ("SLURM_ARRAY_TASK_COUNT", "8"),
                ][..],
                "SLURM_ARRAY_TASK_ID=\"x\"",
            ),
            (counted.clone(), &slurm[..], "SLURM_ARRAY_TASK_COUNT is 8"),
            (
                counted,
                &[("JOB_COMPLETION_INDEX", "6")][..],
                "index must lie in 0..6",
            ),
        ] {
            let err = resolve(args, vars).unwrap_err().to_string();
            assert!(err.contains(needle), "{err:?} lacks {needle:?}");
        }
    }
}
