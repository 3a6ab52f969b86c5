//! What a report needs to say where its numbers came from: the model file's hash, this
//! crate's version and the workspace's git revision.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Lowercase hex sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `{"path", "sha256"}` of a model file, or for a checkpoint folder the sha256 of each file
/// directly inside it.
pub fn model_identity(path: &Path) -> Result<Value> {
    if !path.is_dir() {
        return Ok(json!({"path": path.display().to_string(), "sha256": sha256_file(path)?}));
    }
    let mut files = serde_json::Map::new();
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot list {}", path.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries.into_iter().filter(|e| e.path().is_file()) {
        files.insert(
            entry.file_name().to_string_lossy().into_owned(),
            sha256_file(&entry.path())?.into(),
        );
    }
    Ok(json!({"path": path.display().to_string(), "sha256": files}))
}

/// `git rev-parse HEAD` of the workspace, asked at run time; "unknown" outside a checkout.
pub fn git_revision() -> String {
    Command::new("git")
        .arg("-C")
        .arg(gemma::paths::workspace_root())
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The machine's name (for a sharded run's provenance), or "unknown".
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The software half of a report's metadata.
pub fn software() -> Value {
    json!({"eval_crate_version": env!("CARGO_PKG_VERSION"), "git_revision": git_revision()})
}
