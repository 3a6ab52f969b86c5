//! Empty on purpose: this crate only pins the workspace's resolved features (see Cargo.toml).
