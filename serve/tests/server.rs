//! The server on the real model, over HTTP on loopback: answers against offline generation and
//! the HF reference, streaming, 64 concurrent streams, a client that disconnects, a full queue,
//! bad input and the API key. One server for the whole binary; the tests take turns.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use engine::GenerationConfig;
use engine::{self, EngineConfig, Event, Request};
use gemma::paths;
use model::tokenizer::STOP_IDS;
use model::{BackendKind, Gemma3, GemmaTokenizer};
use serde_json::{Value, json};
use serve::{Running, ServeConfig, Server};

const KEY: &str = "test-key-7f3a";
const MAX_SEQS: usize = 16;
const MAX_QUEUE: usize = 64;

struct Fixture {
    addr: SocketAddr,
    /// A second copy of the model, for the offline answers.
    model: Gemma3,
    tokenizer: GemmaTokenizer,
    _server: Running,
}

fn files() -> Option<(PathBuf, PathBuf)> {
    let model = paths::real_model_for_tests()?;
    let tokenizer =
        paths::resolve_tokenizer(&model, None).expect("tokenizer.json beside the model");
    Some((model, tokenizer))
}

fn load() -> (Gemma3, GemmaTokenizer) {
    let (model, tokenizer) = files().unwrap();
    let device = BackendKind::default_kind().device().unwrap();
    (
        model::weights::load_model(&model, &device, model::ModelDtype::F32.burn()).unwrap(),
        GemmaTokenizer::from_file(&tokenizer).unwrap(),
    )
}

/// The shared server and this test's turn; `None` (the test skips) without the weights.
fn fixture() -> Option<(&'static Fixture, MutexGuard<'static, ()>)> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::new(());
    let f = FIXTURE
        .get_or_init(|| {
            files()?;
            let (served, tok) = load();
            let cfg = ServeConfig {
                engine: EngineConfig {
                    max_seqs: MAX_SEQS,
                    ..EngineConfig::default()
                },
                max_waiting: MAX_QUEUE,
                max_body_bytes: 1 << 20,
                api_key: Some(KEY.into()),
                ..ServeConfig::default()
            };
            let server = Server::new(served, tok, cfg).unwrap();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let running = Running::start(server, listener).unwrap();
            let (model, tokenizer) = load();
            Some(Fixture {
                addr: running.addr,
                model,
                tokenizer,
                _server: running,
            })
        })
        .as_ref()?;
    Some((f, TURN.lock().unwrap_or_else(|e| e.into_inner())))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs `body` with the key; returns the status and the JSON answer.
    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut r = agent()
            .post(&self.url(path))
            .header("Authorization", &format!("Bearer {KEY}"))
            .send_json(body)
            .unwrap();
        let status = r.status().as_u16();
        (status, r.body_mut().read_json().unwrap())
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut r = agent()
            .get(&self.url(path))
            .header("Authorization", &format!("Bearer {KEY}"))
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    /// The data lines of a streamed answer, `[DONE]` excluded (and required).
    fn stream(&self, path: &str, body: &Value) -> Vec<Value> {
        let r = agent()
            .post(&self.url(path))
            .header("Authorization", &format!("Bearer {KEY}"))
            .send_json(body)
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let mut events = Vec::new();
        let reader = BufReader::new(r.into_body().into_reader());
        for line in reader.lines() {
            let line = line.unwrap();
            let Some(data) = line.strip_prefix("data: ") else {
                continue;
            };
            if data == "[DONE]" {
                return events;
            }
            events.push(serde_json::from_str(data).unwrap());
        }
        panic!("the stream ended without [DONE]");
    }

    /// Greedy completions of `prompts` offline, on the engine: the text a server should send.
    fn offline(&self, prompts: &[Vec<u32>], max_new_tokens: usize) -> Vec<String> {
        let requests = prompts.iter().enumerate().map(|(i, p)| Request {
            id: i as u64,
            prompt: p.clone(),
            config: GenerationConfig {
                max_new_tokens,
                ..GenerationConfig::default()
            },
        });
        let mut out = vec![String::new(); prompts.len()];
        let cfg = EngineConfig {
            max_seqs: MAX_SEQS,
            ..EngineConfig::default()
        };
        engine::run(&self.model, Some(&self.tokenizer), cfg, requests, |e| {
            if let Event::Finished { id, generation } = e {
                let body: Vec<u32> = generation
                    .tokens
                    .into_iter()
                    .filter(|t| !STOP_IDS.contains(t))
                    .collect();
                out[id as usize] = self.tokenizer.decode(&body, false)?;
            }
            Ok(())
        })
        .unwrap();
        out
    }

    fn metric(&self, name: &str) -> f64 {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in\n{text}"))
    }
}

fn fixture_json(name: &str) -> Value {
    let path = paths::data_dir().join("fixtures/gemma3-270m").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn greedy_completion_equals_offline_generation_and_hf() {
    let Some((f, _turn)) = fixture() else { return };
    let fx = fixture_json("capital_fr.json");
    let prompt = fx["text"].as_str().unwrap();
    let (status, r) = f.post(
        "/v1/completions",
        &json!({"model": "gemma-3-270m", "prompt": prompt, "max_tokens": 24, "temperature": 0}),
    );
    assert_eq!(status, 200, "{r}");
    let text = r["choices"][0]["text"].as_str().unwrap();
    let ids = f.tokenizer.encode_prompt(prompt).unwrap();
    assert_eq!(text, f.offline(std::slice::from_ref(&ids), 24)[0]);
    // HF's greedy ids, as far as the server went.
    let hf: Vec<u32> = fx["greedy"]["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .take_while(|t| !STOP_IDS.contains(t))
        .take(24)
        .collect();
    assert!(
        text.starts_with(&f.tokenizer.decode(&hf, false).unwrap()),
        "{text:?} vs HF"
    );
    let usage = &r["usage"];
    assert_eq!(usage["prompt_tokens"], ids.len());
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    let finish = r["choices"][0]["finish_reason"].as_str().unwrap();
    let completion = usage["completion_tokens"].as_u64().unwrap();
    assert!(
        finish == "length" && completion == 24 || finish == "stop",
        "{r}"
    );
}

#[test]
fn echo_logprobs_match_hf_and_eval_perplexity() {
    let Some((f, _turn)) = fixture() else { return };
    let fx = fixture_json("long_lighthouse.json");
    let text = fx["text"].as_str().unwrap();
    let (status, r) = f.post(
        "/v1/completions",
        &json!({"prompt": text, "max_tokens": 0, "echo": true, "logprobs": 1, "temperature": 0}),
    );
    assert_eq!(status, 200, "{r}");
    let lp = &r["choices"][0]["logprobs"];
    let logprobs = lp["token_logprobs"].as_array().unwrap();
    let n = fx["n_tokens"].as_u64().unwrap() as usize;
    assert_eq!(logprobs.len(), n, "one entry per prompt token");
    assert!(
        logprobs[0].is_null(),
        "the first token has no log-probability"
    );
    assert_eq!(r["choices"][0]["text"], text);
    // Against HF transformers' per-position NLL.
    let hf: Vec<f64> = fx["per_position_next_token_nll"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let ours: Vec<f64> = logprobs[1..].iter().map(|v| -v.as_f64().unwrap()).collect();
    let worst = ours
        .iter()
        .zip(&hf)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let mean = ours.iter().sum::<f64>() / ours.len() as f64;
    eprintln!(
        "echo NLL vs HF: worst |Δ| {worst:.2e}, mean NLL {mean:.6} (HF {})",
        fx["mean_nll"]
    );
    assert!(worst < 2e-3, "worst |Δ NLL| against HF {worst}");
    // Against `eval perplexity` on the same text: two chunks of 320; chunk 0 scores positions
    // 160..319, each predicting the next token.
    let dir = std::env::temp_dir().join(format!("serve-ppl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("text.txt");
    std::fs::write(&file, text).unwrap();
    let mut cfg = eval::perplexity::PerplexityConfig::new(file);
    cfg.n_ctx = 320;
    cfg.max_chunks = Some(1);
    cfg.output_dir = Some(dir.join("run"));
    eval::perplexity::run(&f.model, &f.tokenizer, &cfg).unwrap();
    let chunk: Value = serde_json::from_str(
        std::fs::read_to_string(dir.join("run").join(eval::perplexity::CHUNKS_FILE))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let nll = chunk["nll"].as_array().unwrap();
    let ids: Vec<u32> = f.tokenizer.encode_prompt(text).unwrap()[..320].to_vec();
    let (status, r) = f.post(
        "/v1/completions",
        &json!({"prompt": ids, "max_tokens": 0, "echo": true, "logprobs": 0}),
    );
    assert_eq!(status, 200, "{r}");
    let logprobs = r["choices"][0]["logprobs"]["token_logprobs"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(nll.len(), 320 / 2 - 1);
    for (i, v) in nll.iter().enumerate() {
        let ours = -logprobs[160 + i + 1].as_f64().unwrap();
        let d = (ours - v.as_f64().unwrap()).abs();
        assert!(
            d <= 1e-4,
            "position {}: {ours} vs eval perplexity {v}",
            160 + i
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn streams_equal_whole_answers_for_completions_and_chat() {
    let Some((f, _turn)) = fixture() else { return };
    for (path, body) in [
        (
            "/v1/completions",
            json!({"prompt": "A short poem about rivers:", "max_tokens": 20, "temperature": 0}),
        ),
        (
            "/v1/chat/completions",
            json!({
                "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}],
                "max_tokens": 20, "temperature": 0,
            }),
        ),
    ] {
        let (status, whole) = f.post(path, &body);
        assert_eq!(status, 200, "{whole}");
        let mut streamed = body.clone();
        streamed["stream"] = json!(true);
        streamed["stream_options"] = json!({"include_usage": true});
        let events = f.stream(path, &streamed);
        let chat = path.contains("chat");
        let text: String = events
            .iter()
            .filter_map(|e| {
                let c = e["choices"].get(0)?;
                if chat {
                    c["delta"]["content"].as_str()
                } else {
                    c["text"].as_str()
                }
            })
            .collect();
        let (expected, finish) = if chat {
            (
                &whole["choices"][0]["message"]["content"],
                &whole["choices"][0]["finish_reason"],
            )
        } else {
            (
                &whole["choices"][0]["text"],
                &whole["choices"][0]["finish_reason"],
            )
        };
        assert_eq!(text, expected.as_str().unwrap(), "{path}");
        let last_choice = events
            .iter()
            .rev()
            .find(|e| e["choices"].get(0).is_some())
            .unwrap();
        assert_eq!(&last_choice["choices"][0]["finish_reason"], finish);
        assert_eq!(events.last().unwrap()["usage"], whole["usage"], "{path}");
        if chat {
            assert_eq!(events[0]["choices"][0]["delta"]["role"], "assistant");
            // The chat template, offline.
            let prompt = model::chat_template::render(
                &[
                    model::chat_template::Message::new("system", "Be brief."),
                    model::chat_template::Message::new("user", "Name a colour."),
                ],
                true,
            )
            .unwrap();
            let ids = f.tokenizer.encode_prompt(&prompt).unwrap();
            assert_eq!(text, f.offline(&[ids], 20)[0]);
        }
    }
}

#[test]
fn stop_strings_end_the_text_before_them() {
    let Some((f, _turn)) = fixture() else { return };
    let prompt = "Count: 1, 2, 3, 4,";
    let (_, free) = f.post(
        "/v1/completions",
        &json!({"prompt": prompt, "max_tokens": 16, "temperature": 0}),
    );
    let free = free["choices"][0]["text"].as_str().unwrap().to_owned();
    // Stop at the second comma of the free answer.
    let at = free
        .match_indices(',')
        .nth(1)
        .map(|(i, _)| i)
        .expect("a comma in the answer");
    let (_, r) = f.post(
        "/v1/completions",
        &json!({"prompt": prompt, "max_tokens": 16, "temperature": 0, "stop": [","]}),
    );
    let first_comma = free.find(',').unwrap();
    assert!(first_comma < at);
    assert_eq!(
        r["choices"][0]["text"].as_str().unwrap(),
        &free[..first_comma]
    );
    assert_eq!(r["choices"][0]["finish_reason"], "stop");
}

#[test]
fn sixty_four_concurrent_streams_each_equal_their_offline_answer() {
    let Some((f, _turn)) = fixture() else { return };
    let prompts: Vec<String> = (0..64)
        .map(|i| format!("Fact number {i} about the number {}:", i * 7 + 3))
        .collect();
    let ids: Vec<Vec<u32>> = prompts
        .iter()
        .map(|p| f.tokenizer.encode_prompt(p).unwrap())
        .collect();
    let expected = f.offline(&ids, 12);
    let got: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = prompts
            .iter()
            .map(|p| {
                s.spawn(move || {
                    let events = f.stream(
                        "/v1/completions",
                        &json!({"prompt": p, "max_tokens": 12, "temperature": 0, "stream": true}),
                    );
                    events
                        .iter()
                        .filter_map(|e| e["choices"][0]["text"].as_str().map(str::to_owned))
                        .collect::<String>()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "request {i}");
    }
}

#[test]
fn a_client_that_disconnects_frees_its_row() {
    let Some((f, _turn)) = fixture() else { return };
    let cancelled = f.metric("gemma_cancelled_total");
    let body = json!({"prompt": "Write a long story:", "max_tokens": 2000, "temperature": 0, "stream": true}).to_string();
    let mut conn = TcpStream::connect(f.addr).unwrap();
    write!(
        conn,
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Read until a few tokens have streamed, then hang up.
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while seen.windows(6).filter(|w| w == b"data: ").count() < 3 {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended early");
        seen.extend_from_slice(&buf[..n]);
    }
    assert_eq!(f.metric("gemma_sequences_in_flight"), 1.0);
    drop(conn);
    let start = Instant::now();
    while f.metric("gemma_sequences_in_flight") != 0.0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the row was not freed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "row freed {:.2} s after the disconnect",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(f.metric("gemma_cancelled_total"), cancelled + 1.0);
    // And the server goes on.
    let (status, r) = f.post(
        "/v1/completions",
        &json!({"prompt": "Hello", "max_tokens": 2}),
    );
    assert_eq!(status, 200, "{r}");
}

#[test]
fn a_full_queue_gets_429_and_the_server_recovers() {
    let Some((f, _turn)) = fixture() else { return };
    let prompts: Vec<&str> = vec!["x"; MAX_QUEUE + 1];
    let r = agent()
        .post(&f.url("/v1/completions"))
        .header("Authorization", &format!("Bearer {KEY}"))
        .send_json(json!({"prompt": prompts, "max_tokens": 1}))
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers().get("retry-after").unwrap(), "1");
    let (status, r) = f.post(
        "/v1/completions",
        &json!({"prompt": ["a", "b"], "max_tokens": 2}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["choices"].as_array().unwrap().len(), 2);
    // The engine thread sets the gauges after the step that answered.
    let start = Instant::now();
    while f.metric("gemma_queue_depth") != 0.0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the queue gauge stayed up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends raw bytes and returns the status and the JSON error body.
fn raw(f: &Fixture, path: &str, key: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut req = agent()
        .post(&f.url(path))
        .header("Content-Type", "application/json");
    if let Some(k) = key {
        req = req.header("Authorization", &format!("Bearer {k}"));
    }
    let mut r = req.send(body).unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

/// Bad request bodies: path, body, expected status and `param`.
#[rustfmt::skip]
const BAD: &[(&str, &str, u16, Option<&str>)] = &[
    ("/v1/completions", "{not json", 400, None),
    ("/v1/completions", "[1, 2]", 400, None),
    ("/v1/completions", r#"{"prompt": "hi", "max_tokens": "ten"}"#, 400, None),
    ("/v1/completions", r#"{"prompt": 5}"#, 400, None),
    ("/v1/completions", r#"{"prompt": "hi", "max_tokenz": 3}"#, 400, Some("max_tokenz")),
    ("/v1/completions", r#"{"prompt": "hi", "max_tokens": 40000}"#, 400, Some("max_tokens")),
    ("/v1/completions", r#"{"prompt": [999999]}"#, 400, Some("prompt")),
    ("/v1/completions", r#"{"prompt": "Look: <image_soft_token>"}"#, 400, Some("prompt")),
    ("/v1/completions", r#"{"prompt": []}"#, 400, Some("prompt")),
    ("/v1/completions", r#"{"prompt": [[]]}"#, 400, Some("prompt")),
    ("/v1/completions", r#"{"prompt": "hi", "n": 2}"#, 400, Some("n")),
    ("/v1/completions", r#"{"prompt": "hi", "temperature": -1}"#, 400, Some("temperature")),
    ("/v1/completions", r#"{"prompt": "hi", "stop": [""]}"#, 400, Some("stop")),
    ("/v1/completions", r#"{"prompt": "hi", "model": "gpt-4"}"#, 404, Some("model")),
    ("/v1/chat/completions", r#"{"messages": []}"#, 400, Some("messages")),
    ("/v1/chat/completions", r#"{"messages": [{"role": "robot", "content": "hi"}]}"#, 400, Some("messages[0].role")),
    ("/v1/chat/completions", r#"{"messages": [{"role": "assistant", "content": "hi"}]}"#, 400, Some("messages")),
    ("/v1/chat/completions", r#"{"messages": [{"role": "user", "content": "<image_soft_token>"}]}"#, 400, Some("messages")),
    ("/tokenize", r#"{"text": "hi"}"#, 400, Some("text")),
    ("/detokenize", r#"{"tokens": [-1]}"#, 400, None),
];

#[test]
fn bad_input_gets_an_openai_error_and_the_server_stays_healthy() {
    let Some((f, _turn)) = fixture() else { return };
    // A prompt as long as the context.
    let long = json!({"prompt": vec![818; 32768]}).to_string();
    let extra = [("/v1/completions", long.as_str(), 400, Some("prompt"))];
    for &(path, body, status, param) in BAD.iter().chain(&extra) {
        let shown = &body[..body.len().min(60)];
        let (got, err) = raw(f, path, Some(KEY), body.as_bytes());
        assert_eq!(got, status, "{shown}: {err}");
        let e = &err["error"];
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{shown}: {err}"
        );
        assert!(e["type"].is_string(), "{err}");
        if let Some(p) = param {
            assert_eq!(e["param"], p, "{shown}: {err}");
        }
    }
    // A body declared over the 1 MiB limit is refused before it is read.
    let mut conn = TcpStream::connect(f.addr).unwrap();
    write!(
        conn,
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        2 << 20
    )
    .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""code":"request_too_large""#), "{answer}");
    let (status, _) = f.get("/health");
    assert_eq!(status, 200);
    let (status, r) = f.post("/v1/completions", &json!({"prompt": "Hi", "max_tokens": 1}));
    assert_eq!(status, 200, "{r}");
}

#[test]
fn v1_needs_the_key_and_health_does_not() {
    let Some((f, _turn)) = fixture() else { return };
    let body = br#"{"prompt": "hi", "max_tokens": 1}"#;
    for key in [None, Some("wrong"), Some("test-key-7f3")] {
        let (status, err) = raw(f, "/v1/completions", key, body);
        assert_eq!(status, 401, "{key:?}");
        assert_eq!(err["error"]["code"], "invalid_api_key");
    }
    let r = agent().get(&f.url("/v1/models")).call().unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let (status, models) = f.get("/v1/models");
    assert_eq!(status, 200);
    assert!(models.contains("gemma-3-270m"));
    let r = agent().get(&f.url("/health")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut r = agent().get(&f.url("/metrics")).call().unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    assert!(
        text.contains("gemma_time_to_first_token_seconds_bucket"),
        "{text}"
    );
    assert!(!text.contains(KEY));
}
