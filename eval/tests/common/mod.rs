//! Shared helpers: the IFEval data directory and scratch files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use eval::data_dir::{data_dir, ifeval_dir};

/// `<data-dir>/data/ifeval/<name>`, which must exist.
pub fn ifeval_file(name: &str) -> PathBuf {
    let path = ifeval_dir(&data_dir()).join(name);
    assert!(
        path.is_file(),
        "missing IFEval data file {} (set GEMMA_DATA_DIR)",
        path.display()
    );
    path
}

/// `<data-dir>/data/ifbench/<name>`, which must exist.
pub fn ifbench_file(name: &str) -> PathBuf {
    let path = eval::data_dir::ifbench_dir(&data_dir()).join(name);
    assert!(
        path.exists(),
        "missing IFBench data file {} (set GEMMA_DATA_DIR)",
        path.display()
    );
    path
}

/// The IFBench scorer with the NLTK data of the data directory.
pub fn ifbench_scorer() -> eval::ifbench::Scorer {
    eval::ifbench::Scorer::new(&data_dir()).expect("IFBench NLTK data (set GEMMA_DATA_DIR)")
}

pub const GPT4_INPUTS: &str = "input_data_gpt4_20231107_145030.jsonl";
pub const GPT4_RESPONSES: &str = "input_response_data_gpt4_20231107_145030.jsonl";

/// A fresh scratch directory for one test.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// `<data-dir>/fixtures/gemma3-270m/<name>`, parsed as JSON.
pub fn fixture_json(name: &str) -> serde_json::Value {
    let path = data_dir().join("fixtures/gemma3-270m").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set GEMMA_DATA_DIR)", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A JSON array of token ids.
pub fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .expect("an array of ids")
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// The tokenizer beside the real model (the caller has checked the model exists).
pub fn tokenizer(model: &Path) -> model::GemmaTokenizer {
    let path =
        gemma::paths::resolve_tokenizer(model, None).expect("tokenizer.json beside the model");
    model::GemmaTokenizer::from_file(&path).unwrap()
}
