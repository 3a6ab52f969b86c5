//! `merge`: joins the shards of a run (`--shard I/N`, see [`crate::shard`]) into exactly the
//! folder a single run writes. Everything is read and checked before anything is written: a
//! missing, duplicated, unfinished or mismatched shard is refused by name, and the output is
//! left untouched.

pub mod ifeval;
pub mod perplexity;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use crate::run_dir::{self, SETTINGS_FILE};
use crate::shard::{Part, SETTINGS_KEY, Shard};

/// One shard's folder and what its `run.json` says it is.
#[derive(Clone, Debug)]
pub struct ShardFolder {
    pub dir: PathBuf,
    pub part: Part,
}

impl ShardFolder {
    pub fn shard(&self) -> Shard {
        self.part.shard
    }

    /// `shard I/N (DIR)`, for messages.
    pub fn name(&self) -> String {
        format!("shard {} ({})", self.part.shard, self.dir.display())
    }

    /// The JSON file `name` a finished shard wrote last (its report or results).
    pub fn read_final<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T> {
        let path = self.dir.join(name);
        let text = fs::read_to_string(&path).with_context(|| {
            format!("{}: no {name}; rerun that shard to finish it", self.name())
        })?;
        serde_json::from_str(&text).with_context(|| format!("{}: unreadable", path.display()))
    }
}

/// A complete set of shards of one run: every index once, all with the same settings.
#[derive(Clone, Debug)]
pub struct ShardSet {
    /// In index order.
    pub shards: Vec<ShardFolder>,
    /// The whole run's settings: a shard's without its part, what an unsharded run records.
    pub settings: Value,
    pub task: String,
    /// What the whole run covers (the same in every shard).
    pub work: Value,
}

impl ShardSet {
    /// The shards in `dirs`: each is a shard folder, or a folder holding `shard-I-of-N` ones.
    pub fn open(dirs: &[PathBuf]) -> Result<Self> {
        let mut found: Vec<(ShardFolder, Value)> = Vec::new();
        for dir in dirs {
            found.extend(shard_folders(dir)?);
        }
        let Some((first, first_settings)) = found.first().cloned() else {
            bail!("no shard folders given");
        };
        let count = first.shard().count;
        let comparable = |settings: &Value| {
            let mut s = settings.clone();
            s[SETTINGS_KEY]["index"] = Value::Null;
            s
        };
        let reference = comparable(&first_settings);
        let mut by_index: BTreeMap<usize, ShardFolder> = BTreeMap::new();
        for (folder, settings) in found {
            let here = comparable(&settings);
            if here != reference {
                bail!(
                    "{} is not a shard of the same run as {}: {}",
                    folder.name(),
                    first.name(),
                    run_dir::differences(&reference, &here).join(", ")
                );
            }
            if let Some(earlier) = by_index.get(&folder.shard().index) {
                bail!(
                    "shard {} is given twice: {} and {}",
                    folder.shard(),
                    earlier.dir.display(),
                    folder.dir.display()
                );
            }
            by_index.insert(folder.shard().index, folder);
        }
        if let Some(missing) = (0..count).find(|i| !by_index.contains_key(i)) {
            bail!(
                "shard {missing}/{count} is missing: no {} folder among the shards given",
                Shard::new(missing, count)?.dir_name()
            );
        }
        let mut settings = first_settings;
        if let Some(map) = settings.as_object_mut() {
            map.remove(SETTINGS_KEY);
        }
        Ok(Self {
            shards: by_index.into_values().collect(),
            settings,
            task: first.part.task.clone(),
            work: first.part.work.clone(),
        })
    }

    /// The merged run's folder: `flag`, else the one folder all shards sit in.
    pub fn output_dir(&self, flag: Option<PathBuf>) -> Result<PathBuf> {
        if let Some(dir) = flag {
            return Ok(dir);
        }
        let parents: Vec<&Path> = self
            .shards
            .iter()
            .map(|s| s.dir.parent().unwrap_or(Path::new(".")))
            .collect();
        if parents.iter().any(|p| *p != parents[0]) {
            bail!("the shards sit in different folders: pass --output-dir");
        }
        Ok(parents[0].to_owned())
    }

    /// Refuses an output folder that holds another run (or a shard); the same run's merged
    /// folder is rewritten, so a merge can be redone after a shard is rerun.
    pub fn check_output(&self, out: &Path) -> Result<()> {
        let path = out.join(SETTINGS_FILE);
        if !path.exists() {
            return Ok(());
        }
        let old = read_settings(&path)?;
        if old != self.settings {
            bail!(
                "{} holds another run ({}); pass another --output-dir",
                path.display(),
                run_dir::differences(&old, &self.settings).join(", ")
            );
        }
        Ok(())
    }

    /// Creates `out` and records the whole run's settings: what an unsharded run writes first.
    pub fn write_settings(&self, out: &Path) -> Result<()> {
        run_dir::check_settings(out, &self.settings)
    }

    /// The merged report's metadata from each shard's: what all shards agree on stays at the
    /// top, what differs (pace, host, revision, ...) is kept per shard under `shards`.
    pub fn metadata(&self, per_shard: &[Value]) -> Map<String, Value> {
        let maps: Vec<Map<String, Value>> = per_shard
            .iter()
            .map(|m| m.as_object().cloned().unwrap_or_default())
            .collect();
        let mut keys: Vec<&String> = maps.iter().flat_map(|m| m.keys()).collect();
        keys.sort();
        keys.dedup();
        let (mut shared, mut differing) = (Map::new(), Vec::new());
        for key in keys {
            let values: Vec<Option<&Value>> = maps.iter().map(|m| m.get(key)).collect();
            match values[0] {
                Some(v) if values.iter().all(|x| *x == Some(v)) => {
                    shared.insert(key.clone(), v.clone());
                }
                _ => differing.push(key.clone()),
            }
        }
        let shards: Vec<Value> = self
            .shards
            .iter()
            .zip(&maps)
            .map(|(folder, m)| {
                let mut entry = Map::new();
                entry.insert("shard".into(), folder.shard().to_string().into());
                entry.insert("folder".into(), folder.dir.display().to_string().into());
                for key in &differing {
                    entry.insert(key.clone(), m.get(key).cloned().unwrap_or(Value::Null));
                }
                Value::Object(entry)
            })
            .collect();
        shared.insert(
            "merged".into(),
            json!({
                "shards": self.shards.len(),
                "split": "item k of the work to shard k mod N",
                "software": crate::provenance::software(),
            }),
        );
        shared.insert("shards".into(), shards.into());
        shared
    }

    /// `work[field]`, or an error naming the first shard's settings.
    pub fn work_field(&self, field: &str) -> Result<&Value> {
        self.work.get(field).with_context(|| {
            format!(
                "{}: its shard settings lack \"{field}\"",
                self.shards[0].dir.join(SETTINGS_FILE).display()
            )
        })
    }
}

fn read_settings(path: &Path) -> Result<Value> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))
}

/// `dir` itself when its `run.json` names a shard, else the `shard-I-of-N` folders inside it.
fn shard_folders(dir: &Path) -> Result<Vec<(ShardFolder, Value)>> {
    let settings = dir.join(SETTINGS_FILE);
    if settings.is_file() {
        let value = read_settings(&settings)?;
        if let Some(part) = value.get(SETTINGS_KEY) {
            let part: Part = serde_json::from_value(part.clone()).with_context(|| {
                format!("{}: unreadable \"{SETTINGS_KEY}\"", settings.display())
            })?;
            let folder = ShardFolder {
                dir: dir.to_owned(),
                part,
            };
            return Ok(vec![(folder, value)]);
        }
    }
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut inner: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("shard-") && n.contains("-of-"))
        })
        .collect();
    inner.sort();
    if inner.is_empty() {
        bail!(
            "{}: not a shard folder (no {SETTINGS_FILE} with a \"{SETTINGS_KEY}\") and holds no shard-I-of-N folders",
            dir.display()
        );
    }
    let mut found = Vec::new();
    for shard_dir in inner {
        let mut here = shard_folders(&shard_dir)?;
        if here.len() != 1 || here[0].0.dir != shard_dir {
            bail!("{}: not a shard folder", shard_dir.display());
        }
        found.append(&mut here);
    }
    Ok(found)
}

/// Writes `text` to `dir/name`, naming the file in the error.
fn write_file(dir: &Path, name: &str, text: &str) -> Result<()> {
    let path = dir.join(name);
    fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `records` to `dir/name`, one JSON line each, as a run's log holds them.
pub fn write_jsonl<T: serde::Serialize>(dir: &Path, name: &str, records: &[T]) -> Result<()> {
    let lines = records
        .iter()
        .map(|r| serde_json::to_string(r).map(|l| l + "\n"))
        .collect::<serde_json::Result<String>>()?;
    write_file(dir, name, &lines)
}
