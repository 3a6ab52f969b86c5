//! Combinations that cannot work are refused before any weight is read, with a message that
//! names the option and the file.

use std::process::Command;

fn gemma(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gemma"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn converting_a_packed_model_is_refused() {
    let out = std::env::temp_dir().join("gemma-refused-convert");
    let (ok, stderr) = gemma(&[
        "convert",
        "--packed",
        "int8",
        "--to",
        "safetensors",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("a packed model cannot be converted"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_prompts_file_that_is_not_json_strings_names_its_line() {
    let path = std::env::temp_dir().join(format!("gemma-prompts-{}.jsonl", std::process::id()));
    std::fs::write(&path, "\"The capital of France is\"\n{\"prompt\": 1}\n").unwrap();
    let (ok, stderr) = gemma(&["generate", "--prompts-file", path.to_str().unwrap()]);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2: expected one JSON string", path.display())),
        "{stderr}"
    );
}

#[test]
fn the_file_as_shipped_with_an_adapter_or_without_a_gguf_is_refused() {
    let (ok, stderr) = gemma(&[
        "generate",
        "--packed",
        "gguf",
        "--adapter",
        "no-such-adapter",
    ]);
    assert!(
        !ok && stderr.contains("--packed gguf runs the file's own blocks"),
        "{stderr}"
    );
    let tiny = gemma::paths::data_dir().join("fixtures/tiny-gemma3");
    let (ok, stderr) = gemma(&[
        "generate",
        "--packed",
        "gguf",
        "--model",
        tiny.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("not a .gguf file"), "{stderr}");
}
