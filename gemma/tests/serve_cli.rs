//! `gemma serve` as a user runs it, driven by the official `openai` Python client (installed
//! into `.cache/python` by `scripts/test.sh`), then stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const PROMPT: &str = "The three primary colours are";
const MAX_TOKENS: &str = "16";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn gemma() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gemma"));
    c.current_dir(root());
    c
}

#[test]
fn the_openai_client_gets_what_gemma_generate_gets_and_sigterm_exits_cleanly() {
    if gemma::paths::real_model_for_tests().is_none() {
        return;
    }
    let python = root().join(".cache/python");
    assert!(
        python.join("openai").is_dir(),
        "the openai client is missing from {}: run scripts/test.sh, which installs it",
        python.display()
    );
    let dir = std::env::temp_dir().join(format!("serve-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key");
    std::fs::write(&key_file, "sk-local-test\n").unwrap();

    let mut server = gemma()
        .args([
            "serve",
            "--port",
            "0",
            "--max-seqs",
            "4",
            "--shutdown-grace",
            "5",
        ])
        .arg("--api-key-file")
        .arg(&key_file)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let mut url = None;
    let mut line = String::new();
    while url.is_none() {
        line.clear();
        assert!(
            log.read_line(&mut line).unwrap() > 0,
            "gemma serve exited before serving"
        );
        eprint!("server: {line}");
        assert!(!line.contains("sk-local-test"), "the key was logged");
        url = line
            .split("http://")
            .nth(1)
            .map(|rest| format!("http://{}/v1", rest.split_whitespace().next().unwrap()));
    }
    let url = url.unwrap();
    // The server's later lines, kept flowing and checked for the key.
    let logger = std::thread::spawn(move || {
        let mut rest = String::new();
        for l in log.lines() {
            let l = l.unwrap();
            eprintln!("server: {l}");
            rest.push_str(&l);
            rest.push('\n');
        }
        rest
    });

    let out = Command::new("python3")
        .arg(root().join("serve/tests/openai_client.py"))
        .args([&url, "sk-local-test", PROMPT, MAX_TOKENS])
        .env("PYTHONPATH", &python)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("openai client: {got}");

    let generated = gemma()
        .args([
            "generate",
            "--prompt",
            PROMPT,
            "--max-new-tokens",
            MAX_TOKENS,
        ])
        .output()
        .unwrap();
    assert!(generated.status.success());
    let stdout = String::from_utf8(generated.stdout).unwrap();
    let expected = stdout
        .strip_prefix(PROMPT)
        .unwrap()
        .strip_suffix('\n')
        .unwrap();
    assert_eq!(got["completion"], expected);
    assert_eq!(got["completion_stream"], expected);
    assert_eq!(got["chat"], got["chat_stream"]);
    assert!(got["chat"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(got["models"][0], "gemma-3-270m");
    assert_eq!(got["wrong_key"], 401);
    assert_eq!(got["unknown_model"], 404);
    let echo = got["echo_logprobs"].as_array().unwrap();
    assert!(echo[0].is_null() && echo[1..].iter().all(|v| v.as_f64().unwrap() <= 0.0));

    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let start = Instant::now();
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    let rest = logger.join().unwrap();
    assert!(rest.contains("stopped"), "{rest}");
    assert!(!rest.contains("sk-local-test"));
    std::fs::remove_dir_all(&dir).unwrap();
}
