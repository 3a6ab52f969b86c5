//! Resumable runs: an output folder that remembers its settings (`run.json`) and append-only
//! JSONL logs of finished work. A rerun with the same folder continues where the last one
//! stopped; a run killed mid-write leaves at most one torn last line, which is cut off.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The file in a run folder that holds the settings the run was started with.
pub const SETTINGS_FILE: &str = "run.json";

/// Creates `dir` and records `settings` in it, or, if it already holds a run, checks that the
/// run has the same settings: mixing results of two settings in one folder would be silently
/// wrong.
pub fn check_settings(dir: &Path, settings: &Value) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(SETTINGS_FILE);
    if !path.exists() {
        let text = serde_json::to_string_pretty(settings)? + "\n";
        return fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()));
    }
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let old: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    if old != *settings {
        bail!(
            "{} holds a run with other settings ({}); use another output folder, or delete this one to start over",
            path.display(),
            differences(&old, settings).join(", ")
        );
    }
    Ok(())
}

/// `key: old → new` for every top-level field that differs.
pub fn differences(old: &Value, new: &Value) -> Vec<String> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return vec![format!("{old} → {new}")];
    };
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| {
            format!(
                "{k}: {} → {}",
                old.get(k).unwrap_or(&Value::Null),
                new.get(k).unwrap_or(&Value::Null)
            )
        })
        .collect()
}

/// An append-only JSONL file of finished records, one line each.
pub struct JsonlLog {
    file: File,
    path: PathBuf,
}

impl JsonlLog {
    /// Opens `path` (created if absent) and returns its records with their 1-based line
    /// numbers. A last line without its newline is the torn write of a killed run: it is cut
    /// off (its work is redone). Any other unreadable line is an error naming the line.
    pub fn open<T: DeserializeOwned>(path: &Path) -> Result<(Self, Vec<(usize, T)>)> {
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if complete < bytes.len() {
            eprintln!(
                "{}: dropping an incomplete last line ({} bytes) left by an interrupted run",
                path.display(),
                bytes.len() - complete
            );
            file.set_len(complete as u64)
                .with_context(|| format!("cannot truncate {}", path.display()))?;
        }
        let text = std::str::from_utf8(&bytes[..complete])
            .with_context(|| format!("{}: not UTF-8", path.display()))?;
        let mut records = Vec::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let record = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: unreadable record", path.display(), i + 1))?;
            records.push((i + 1, record));
        }
        Ok((
            Self {
                file,
                path: path.to_owned(),
            },
            records,
        ))
    }

    /// Appends one record (a single-line JSON text) with one write, so that a kill leaves
    /// either the whole line or a torn last line that [`JsonlLog::open`] drops.
    pub fn append(&mut self, json_line: &str) -> Result<()> {
        debug_assert!(!json_line.contains('\n'));
        let line = format!("{json_line}\n");
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .with_context(|| format!("cannot append to {}", self.path.display()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("eval-run-dir-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_appending_continues() {
        let path = scratch("torn").join("log.jsonl");
        fs::write(&path, "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3").unwrap();
        let (mut log, records) = JsonlLog::open::<Value>(&path).unwrap();
        assert_eq!(
            records
                .iter()
                .map(|(line, v)| (*line, v["a"].as_i64().unwrap()))
                .collect::<Vec<_>>(),
            [(1, 1), (2, 2)]
        );
        log.append("{\"a\": 4}").unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 4}\n"
        );
    }

    #[test]
    fn a_bad_complete_line_names_its_line() {
        let path = scratch("bad").join("log.jsonl");
        fs::write(&path, "{\"a\": 1}\nnot json\n{\"a\": 3}\n").unwrap();
        let err = JsonlLog::open::<Value>(&path).err().unwrap();
        assert!(format!("{err:#}").contains("log.jsonl:2:"), "{err:#}");
    }

    #[test]
    fn settings_must_match_to_resume() {
        let dir = scratch("settings");
        let a = serde_json::json!({"ctx": 512, "model": "m"});
        check_settings(&dir, &a).unwrap();
        check_settings(&dir, &a).unwrap();
        let err = check_settings(&dir, &serde_json::json!({"ctx": 256, "model": "m"})).unwrap_err();
        assert!(err.to_string().contains("ctx: 512 → 256"), "{err}");
    }
}
