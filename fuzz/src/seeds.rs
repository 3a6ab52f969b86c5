//! The seed corpus: real inputs for every target, built at run time from what this machine has
//! (the shared data, the tiny HF fixture, the real GGUF) so none of it is copied into the repo.
//! Each seed says whether its target must accept it; the tests hold every target to that, which
//! proves the harness reaches the reader's deep paths and not just its first check.

use anyhow::{Context, Result};
use safetensors::tensor::{Dtype, TensorView};
use std::path::Path;

use gguf::writer::{GgufTensor, GgufWriter};
use gguf::{GgmlType, GgufFile, MetaValue};
use model::config::Gemma3Config;
use model::weights::SafetensorsFile;

/// AFL++ refuses seeds above 1 MiB.
pub const MAX_SEED_BYTES: usize = 1 << 20;

pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub bytes: Vec<u8>,
    /// The target must parse it (a truncated file is a seed for error paths, and need not).
    pub valid: bool,
}

impl Seed {
    fn new(target: &'static str, name: impl Into<String>, bytes: Vec<u8>, valid: bool) -> Self {
        Self {
            target,
            name: name.into(),
            bytes,
            valid,
        }
    }
}

/// Every seed; the real GGUF's are left out, with a note, when it is absent.
pub fn all(data_dir: &Path, real_gguf: Option<&Path>) -> Result<Vec<Seed>> {
    let mut seeds = synthetic_gguf();
    match real_gguf {
        Some(path) => seeds.extend(real_gguf_seeds(path)?),
        None => eprintln!("fuzz seeds: the real GGUF is absent; its seeds are left out"),
    }
    // The model's GGUF loading reads the same files as the reader.
    let model_gguf: Vec<Seed> = seeds
        .iter()
        .filter(|s| s.target == "gguf")
        .map(|s| Seed::new("gguf_model", s.name.clone(), s.bytes.clone(), s.valid))
        .collect();
    seeds.extend(model_gguf);
    seeds.extend(hf_seeds(&data_dir.join("fixtures/tiny-gemma3"))?);
    seeds.extend(jsonl_seeds(
        "ifeval_jsonl",
        &eval::data_dir::ifeval_input_data(data_dir),
        &eval::data_dir::ifeval_dir(data_dir)
            .join("input_response_data_gpt4_20231107_145030.jsonl"),
    )?);
    seeds.extend(jsonl_seeds(
        "ifbench_jsonl",
        &eval::data_dir::ifbench_input_data(data_dir),
        &eval::data_dir::ifbench_dir(data_dir).join("sample_output.jsonl"),
    )?);
    seeds.extend(training_seeds());
    Ok(seeds)
}

/// Deterministic bytes (xorshift), so the synthetic seeds are the same on every machine.
fn noise(n: usize, mut state: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// One GGUF with a 2-row tensor of each decoded type, and one block of each for `dequantize`.
fn synthetic_gguf() -> Vec<Seed> {
    let mut file = GgufWriter::new();
    let mut seeds = Vec::new();
    for (i, ty) in GgmlType::DEQUANTIZABLE.into_iter().enumerate() {
        let (block, size) = (ty.block_size().unwrap(), ty.type_size().unwrap());
        let data = noise(2 * size, i as u64 + 1);
        file = file.tensor(GgufTensor::new(
            &format!("t.{}", ty.name()),
            &[block as u64, 2],
            ty,
            data.clone(),
        ));
        let count = (2 * block as u32).to_le_bytes();
        // The second header byte picks honest sizing in `dequantize` (any value but 0 mod 4).
        let head = [ty.id() as u8, 1, count[1], count[2], count[3]];
        seeds.push(Seed::new(
            "dequantize",
            ty.name(),
            [&head[..], &data].concat(),
            true,
        ));
    }
    seeds.push(Seed::new("gguf", "every-type", file.bytes(), true));
    seeds
}

/// The real file's metadata (arrays cut to 16 entries) with the first row of one tensor of each
/// stored type, and the file's first megabyte (a header cut short).
fn real_gguf_seeds(path: &Path) -> Result<Vec<Seed>> {
    let file = GgufFile::open(path)?;
    let mut out = GgufWriter::new();
    out.kvs.clear();
    for (key, value) in file.metadata() {
        let value = match value {
            MetaValue::Array(items) => MetaValue::Array(items.iter().take(16).cloned().collect()),
            other => other.clone(),
        };
        out = out.kv(key, value);
    }
    let mut types = Vec::new();
    for t in file.tensors() {
        if types.contains(&t.ggml_type) {
            continue;
        }
        types.push(t.ggml_type);
        let row_bytes = (t.n_bytes / t.ne[1..].iter().product::<u64>().max(1)) as usize;
        let rows = if t.name == "token_embd.weight" { 4 } else { 1 };
        let data = file.read_bytes(t)?[..rows * row_bytes].to_vec();
        out = out.tensor(GgufTensor::new(
            &t.name,
            &[t.ne[0], rows as u64],
            t.ggml_type,
            data,
        ));
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(vec![
        Seed::new("gguf", "real-compact", out.bytes(), true),
        Seed::new(
            "gguf",
            "real-first-mib",
            bytes[..MAX_SEED_BYTES].to_vec(),
            false,
        ),
    ])
}

/// `config.json` in its three spellings, a safetensors file of three of the tiny model's
/// tensors (F32, and converted to BF16 and F16), and an adapter for that model.
fn hf_seeds(tiny: &Path) -> Result<Vec<Seed>> {
    let config = std::fs::read(tiny.join("config.json"))
        .with_context(|| format!("reading {}", tiny.join("config.json").display()))?;
    let real = Gemma3Config::gemma3_270m().to_hf_json();
    let nested = serde_json::json!({"model_type": "gemma3", "text_config": real});
    let legacy = serde_json::json!({
        "vocab_size": 262144, "hidden_size": 640, "intermediate_size": 2048,
        "num_hidden_layers": 18, "num_attention_heads": 4, "num_key_value_heads": 1,
        "head_dim": 256, "sliding_window": 512, "sliding_window_pattern": 6,
        "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
        "rope_scaling": {"rope_type": "linear", "factor": 8.0},
    });
    let mut seeds = vec![
        Seed::new("config_json", "tiny", config, true),
        Seed::new("config_json", "270m", real.to_string().into_bytes(), true),
        Seed::new(
            "config_json",
            "multimodal",
            nested.to_string().into_bytes(),
            true,
        ),
        Seed::new(
            "config_json",
            "legacy-rope",
            legacy.to_string().into_bytes(),
            true,
        ),
    ];
    let weights = SafetensorsFile::open(&tiny.join("model.safetensors"))?;
    let names = [
        "model.norm.weight",
        "model.layers.0.self_attn.q_norm.weight",
        "model.layers.0.self_attn.k_proj.weight",
    ];
    let mut tensors = Vec::new();
    for (name, dtype) in names.into_iter().zip([Dtype::F32, Dtype::BF16, Dtype::F16]) {
        let (shape, values) = weights.read_f32(name)?;
        tensors.push((name, shape, encode(&values, dtype), dtype));
    }
    seeds.push(Seed::new(
        "safetensors",
        "tiny-3",
        serialize(&tensors)?,
        true,
    ));

    let (rank, d, kv) = (2, 64, 32);
    let a = encode(&noise_f32(rank * d, 7), Dtype::F32);
    let b = encode(&noise_f32(kv * rank, 8), Dtype::BF16);
    let module = "base_model.model.model.layers.0.self_attn.k_proj";
    let a_name = format!("{module}.lora_A.weight");
    let b_name = format!("{module}.lora_B.weight");
    let adapter = serialize(&[
        (a_name.as_str(), vec![rank, d], a, Dtype::F32),
        (b_name.as_str(), vec![kv, rank], b, Dtype::BF16),
    ])?;
    let config = br#"{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "use_rslora": false}"#;
    seeds.push(Seed::new(
        "lora_adapter",
        "rank-2",
        [&config[..], &[0], &adapter].concat(),
        true,
    ));
    Ok(seeds)
}

fn noise_f32(n: usize, state: u64) -> Vec<f32> {
    noise(n, state)
        .into_iter()
        .map(|b| (b as f32 - 128.0) / 256.0)
        .collect()
}

fn encode(values: &[f32], dtype: Dtype) -> Vec<u8> {
    match dtype {
        Dtype::BF16 => values
            .iter()
            .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
            .collect(),
        Dtype::F16 => values
            .iter()
            .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
            .collect(),
        _ => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

fn serialize(tensors: &[(&str, Vec<usize>, Vec<u8>, Dtype)]) -> Result<Vec<u8>> {
    let views = tensors
        .iter()
        .map(|(name, shape, bytes, dtype)| {
            Ok((*name, TensorView::new(*dtype, shape.clone(), bytes)?))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(safetensors::serialize(views, None)?)
}

/// Prompts in groups of 3 (the benchmark's own lines), 0xFF, then the responses to them (small
/// seeds keep executions fast: scoring runs eight loose variants per instruction).
fn jsonl_seeds(target: &'static str, inputs: &Path, responses: &Path) -> Result<Vec<Seed>> {
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    let (inputs, responses) = (read(inputs)?, read(responses)?);
    let responses: Vec<&str> = responses.lines().collect();
    let lines: Vec<&str> = inputs.lines().collect();
    let mut seeds = Vec::new();
    for (i, group) in lines.chunks(3).enumerate() {
        let answers: Vec<&str> = responses.iter().skip(i * 3).take(3).copied().collect();
        let bytes = [
            group.join("\n").as_bytes(),
            &[0xFF],
            answers.join("\n").as_bytes(),
        ]
        .concat();
        if bytes.len() <= MAX_SEED_BYTES {
            seeds.push(Seed::new(
                target,
                format!("lines-{}", i * 3 + 1),
                bytes,
                true,
            ));
        }
    }
    Ok(seeds)
}

fn training_seeds() -> Vec<Seed> {
    let texts = [
        (
            "completion",
            r#"{"prompt": "Name: Ada Lovelace\nBorn:", "completion": " 1815"}"#,
        ),
        (
            "chat",
            r#"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}, {"role": "model", "content": "Paris."}]}"#,
        ),
        (
            "multi-turn",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"h\u{e9}llo \u{1f600}\"}, {\"role\": \"user\", \"content\": \"again\"}, {\"role\": \"model\", \"content\": \"<b>yes</b>\"}]}\n\n{\"prompt\": \"\", \"completion\": \"x\"}",
        ),
    ];
    texts
        .into_iter()
        .map(|(name, text)| Seed::new("training_jsonl", name, text.as_bytes().to_vec(), true))
        .collect()
}
