//! Files built to exhaust a loader: huge declared counts and lengths, sizes that overflow,
//! tensors that share bytes, configs that would allocate terabytes, files truncated while open.
//! Each must fail fast with an error naming what is wrong, and allocate nothing large (measured
//! by the fuzz harness's allocator, installed here too).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fuzz_gguf::alloc_guard::{AllocGuard, largest_allocation};
use gguf::writer::{GgufTensor, GgufWriter};
use gguf::{GgmlType, GgufFile, MetaValue};
use model::config::Gemma3Config;
use model::weights::{SafetensorsFile, check_fits};

#[global_allocator]
static ALLOC: AllocGuard = AllocGuard;

/// Nothing a rejected file makes a reader allocate may exceed this.
const SMALL: usize = 4 << 20;

/// Runs `f`, which must fail within 100 ms allocating at most [`SMALL`] bytes at once, and
/// returns its error message, which must contain every keyword.
fn fails_small<T, E: std::fmt::Display>(
    keywords: &[&str],
    f: impl FnOnce() -> Result<T, E>,
) -> String {
    let start = Instant::now();
    let (result, largest) = largest_allocation(f);
    let elapsed = start.elapsed();
    let msg = match result {
        Ok(_) => panic!("a hostile input was accepted"),
        Err(e) => e.to_string(),
    };
    println!("{elapsed:?}, largest allocation {largest} B: {msg}");
    assert!(
        elapsed < Duration::from_millis(100),
        "took {elapsed:?}: {msg}"
    );
    assert!(largest <= SMALL, "allocated {largest} bytes at once: {msg}");
    for k in keywords {
        assert!(msg.contains(k), "{msg:?} lacks {k:?}");
    }
    msg
}

fn header(n_tensors: u64, n_kv: u64) -> Vec<u8> {
    [
        b"GGUF".as_slice(),
        &3u32.to_le_bytes(),
        &n_tensors.to_le_bytes(),
        &n_kv.to_le_bytes(),
    ]
    .concat()
}

fn gguf(bytes: Vec<u8>) -> Result<GgufFile, gguf::GgufError> {
    GgufFile::from_bytes("hostile.gguf", bytes)
}

#[test]
fn a_gguf_declaring_2_pow_40_tensors_fails_before_allocating() {
    fails_small(
        &["hostile.gguf", "tensor count 1099511627776", "limit"],
        || gguf(header(1 << 40, 0)),
    );
    // Under the cap but more than the file can hold: caught by the size check.
    let mut bytes = header(1000, 0);
    bytes.extend([0; 64]);
    fails_small(&["tensor infos", "1000 items"], || gguf(bytes));
}

#[test]
fn a_gguf_string_of_length_2_pow_62_fails_before_allocating() {
    let long = (1u64 << 62).to_le_bytes();
    // As a metadata key, and as a string value.
    let key = [header(0, 1), long.to_vec(), vec![b'k'; 32]].concat();
    fails_small(
        &[
            "hostile.gguf",
            "key of metadata entry #0",
            "4611686018427387904",
        ],
        || gguf(key),
    );
    let mut value = header(0, 1);
    value.extend(3u64.to_le_bytes());
    value.extend(b"key");
    value.extend(8u32.to_le_bytes()); // a string
    value.extend(long);
    value.extend([b'v'; 32]);
    fails_small(&["metadata value 'key'", "4611686018427387904"], || {
        gguf(value)
    });
}

#[test]
fn metadata_that_would_decode_past_the_cap_fails_naming_the_key() {
    // 9 Mi one-byte elements: 9 MiB of file, 288 MiB as decoded values.
    let n = 9u64 << 20;
    let mut bytes = header(0, 1);
    bytes.extend(4u64.to_le_bytes());
    bytes.extend(b"huge");
    bytes.extend(9u32.to_le_bytes()); // an array
    bytes.extend(0u32.to_le_bytes()); // of u8
    bytes.extend(n.to_le_bytes());
    bytes.resize(bytes.len() + n as usize, 7);
    // The file itself is in memory here (9 MiB); what is measured is the reader's allocations.
    let file = bytes;
    let start = Instant::now();
    let (result, largest) = largest_allocation(|| gguf(file));
    let msg = result.unwrap_err().to_string();
    println!(
        "{:?}, largest allocation {largest} B: {msg}",
        start.elapsed()
    );
    assert!(
        msg.contains("metadata value 'huge'") && msg.contains("over the limit"),
        "{msg}"
    );
    assert!(largest <= SMALL, "allocated {largest} bytes at once");
}

#[test]
fn tensor_sizes_that_overflow_and_tensors_that_share_bytes_are_errors() {
    let f32s = |n: usize| vec![0u8; 4 * n];
    let overflow = GgufWriter::new()
        .tensor(GgufTensor::new("big", &[1 << 62], GgmlType::F32, vec![]))
        .bytes();
    fails_small(&["'big'", "overflows"], || gguf(overflow));

    let mut shared = GgufWriter::new()
        .tensor(GgufTensor::new("a", &[8], GgmlType::F32, f32s(8)))
        .tensor(GgufTensor::new("b", &[8], GgmlType::F32, f32s(8)));
    shared.tensors[1].offset = Some(0);
    fails_small(&["'a'", "'b'", "overlap"], || gguf(shared.bytes()));
}

/// A GGUF file on disk, and the same file cut to `keep` bytes while open.
fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-files");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn truncate(path: &Path, keep: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(keep)
        .unwrap();
}

#[test]
fn a_gguf_truncated_while_open_gives_an_error_not_a_crash() {
    let bytes = GgufWriter::new()
        .tensor(GgufTensor::new("w", &[1024], GgmlType::F32, vec![1; 4096]))
        .bytes();
    let path = write("shrinks.gguf", &bytes);
    let file = GgufFile::open(&path).unwrap();
    truncate(&path, bytes.len() as u64 - 100);
    let msg = file.dequantize("w").unwrap_err().to_string();
    assert!(
        msg.contains("shrinks.gguf") && msg.contains("'w'") && msg.contains("shrank"),
        "{msg}"
    );
}

fn safetensors(tensors: &[(&str, &[usize])]) -> Vec<u8> {
    let data: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, shape)| vec![0; 4 * shape.iter().product::<usize>()])
        .collect();
    let views: Vec<_> = tensors
        .iter()
        .zip(&data)
        .map(|((name, shape), bytes)| {
            let view = safetensors::tensor::TensorView::new(
                safetensors::Dtype::F32,
                shape.to_vec(),
                bytes,
            );
            (*name, view.unwrap())
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

#[test]
fn a_safetensors_file_truncated_while_open_gives_an_error_not_a_crash() {
    let bytes = safetensors(&[("a", &[256]), ("b", &[256])]);
    let path = write("shrinks.safetensors", &bytes);
    let file = SafetensorsFile::open(&path).unwrap();
    truncate(&path, bytes.len() as u64 - 100);
    assert_eq!(file.read_f32("a").unwrap().1.len(), 256);
    let msg = format!("{:#}", file.read_f32("b").unwrap_err());
    assert!(
        msg.contains("shrinks.safetensors") && msg.contains("tensor b") && msg.contains("shrank"),
        "{msg}"
    );
}

#[test]
fn safetensors_headers_that_lie_about_their_size_fail_before_allocating() {
    let name = |bytes| {
        SafetensorsFile::from_bytes("hostile.safetensors", bytes).map_err(|e| format!("{e:#}"))
    };
    let mut bytes = (1u64 << 62).to_le_bytes().to_vec();
    bytes.extend(b"{}");
    fails_small(
        &["hostile.safetensors", "header length 4611686018427387904"],
        || name(bytes),
    );
    // A valid header, a file cut short.
    let mut cut = safetensors(&[("a", &[1024])]);
    cut.truncate(cut.len() - 4);
    fails_small(&["hostile.safetensors", "truncated"], || name(cut));
}

fn config(overrides: serde_json::Value) -> Result<Gemma3Config, String> {
    let mut v = Gemma3Config::gemma3_270m().to_hf_json();
    for (k, x) in overrides.as_object().unwrap() {
        v[k] = x.clone();
    }
    Gemma3Config::from_hf_str(&v.to_string(), Path::new("config.json"))
        .map_err(|e| format!("{e:#}"))
}

#[test]
fn configs_that_would_allocate_without_bound_are_errors_naming_the_field() {
    use serde_json::json;
    let layers = json!({"num_hidden_layers": 1u64 << 40, "layer_types": null});
    fails_small(
        &["config.json", "num_layers = 1099511627776", "limit"],
        || config(layers),
    );
    fails_small(&["vocab_size"], || {
        config(json!({"vocab_size": 1u64 << 40}))
    });
    fails_small(&["hidden_size"], || {
        config(json!({"hidden_size": 1u64 << 20}))
    });
    // Each size under its limit, the product over the parameter cap.
    let wide = json!({"vocab_size": 1 << 22, "hidden_size": 1 << 16});
    fails_small(&["parameters", "over the limit"], || config(wide));
    // Division by zero and a zero modulus, before the fix: panics.
    let headless = json!({"num_attention_heads": 0, "head_dim": null});
    fails_small(&["num_heads (0)", "must be positive"], || config(headless));
    let pattern = json!({"layer_types": null, "sliding_window_pattern": 0});
    fails_small(&["sliding_window_pattern"], || config(pattern));
}

#[test]
fn a_config_bigger_than_its_file_can_hold_is_refused_before_init() {
    let cfg = Gemma3Config::gemma3_270m();
    let msg = check_fits(&cfg, 1 << 20, Path::new("tiny.gguf"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("tiny.gguf") && msg.contains("268098176 parameters"),
        "{msg}"
    );
    check_fits(&cfg, 253 << 20, Path::new("real.gguf")).unwrap();
    // The count itself, against the real file's tensors (the embedding is tied: stored once).
    if let Some(path) = gemma::paths::real_model_for_tests() {
        let file = GgufFile::open(&path).unwrap();
        let stored: usize = file.tensors().iter().map(|t| t.n_elements()).sum();
        assert_eq!(cfg.parameter_count(), stored as u64);
    }
}

#[test]
fn a_gguf_whose_config_metadata_is_corrupt_is_an_error() {
    let kv = |k: &str, v: u32| (format!("gemma3.{k}"), MetaValue::U32(v));
    let mut g = GgufWriter::new();
    g.kvs = vec![(
        "general.architecture".into(),
        MetaValue::Str("gemma3".into()),
    )];
    for (k, v) in [
        kv("block_count", 1 << 30),
        kv("embedding_length", 8),
        kv("attention.head_count", 0),
    ] {
        g.kvs.push((k, v));
    }
    let g = g.tensor(GgufTensor::new(
        "token_embd.weight",
        &[8],
        GgmlType::F32,
        vec![0; 32],
    ));
    let file = gguf(g.bytes()).unwrap();
    let msg = fails_small(&["hostile.gguf"], || {
        Gemma3Config::from_gguf(&file).map_err(|e| format!("{e:#}"))
    });
    assert!(msg.contains("token_embd.weight has shape [8]"), "{msg}");
}
