//! Fuzz targets: every reader of untrusted input, driven from arbitrary bytes through the same
//! functions the tools call. A target may reject its input with an error; it must never panic,
//! hang, or allocate above [`fuzz_gguf::alloc_guard::ALLOC_CAP`]. It returns whether its reader accepted
//! the input, so tests can check that valid seeds get past the parser. Where an independent property exists
//! (a parsed config written back and read again is the same config), the target asserts it.
//!
//! [`TARGETS`] lists them, with the two of the formats crate (`fuzz-gguf`, which needs no Burn);
//! `src/bin/<target>.rs` wraps each for AFL++ (`--features afl`), and the tests replay the seed corpus and every past crash (`regressions/<target>/`) in the suite.

pub mod seeds;

use std::path::Path;
use std::sync::LazyLock;

use eval::ifeval::io::{parse_inputs, parse_jsonl_text};
use eval::ifeval::{self, Report, ResponseExample};
use eval::{ifbench, records};
use gguf::{GgmlType, GgufFile};
use kernels::packed::PackedMatrix;
use model::config::Gemma3Config;
use model::tokenizer::GemmaTokenizer;
use model::weights::lora_adapter::AdapterFiles;
use model::weights::{SafetensorsFile, check_fits};

/// A fuzz target: whether its reader accepted the input.
pub type Target = fn(&[u8]) -> bool;

/// Every target, by the name of its binary and corpus folder.
pub const TARGETS: [(&str, Target); 9] = [
    ("gguf", fuzz_gguf::gguf),
    ("dequantize", fuzz_gguf::dequantize),
    ("gguf_model", gguf_model),
    ("safetensors", safetensors),
    ("config_json", config_json),
    ("lora_adapter", lora_adapter),
    ("ifeval_jsonl", ifeval_jsonl),
    ("ifbench_jsonl", ifbench_jsonl),
    ("training_jsonl", training_jsonl),
];

/// Two inputs in one: the bytes before the first `sep` and those after it.
fn split(data: &[u8], sep: u8) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == sep) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// A GGUF file, then what the model's loader reads from it besides [`fuzz_gguf::gguf`]: the
/// config, and the Q8_0 matrices packed straight from their blocks.
pub fn gguf_model(data: &[u8]) -> bool {
    let Ok(file) = GgufFile::from_bytes("input.gguf", data.to_vec()) else {
        return false;
    };
    let _ = Gemma3Config::from_gguf(&file);
    for t in file.tensors() {
        if let (&[cols, rows], GgmlType::Q8_0) = (&t.ne[..], t.ggml_type) {
            let raw = file
                .read_bytes(t)
                .expect("a tensor of the file is in memory");
            let _ = PackedMatrix::from_gguf_q8_0(&raw, rows as usize, cols as usize);
        }
    }
    true
}

/// A `.safetensors` file, every tensor read as f32.
pub fn safetensors(data: &[u8]) -> bool {
    let Ok(file) = SafetensorsFile::from_bytes("input.safetensors", data.to_vec()) else {
        return false;
    };
    for name in file.names() {
        if let Ok((shape, values)) = file.read_f32(&name) {
            assert_eq!(shape.iter().product::<usize>(), values.len(), "{name}");
        }
    }
    true
}

/// An HF `config.json`. A config that parses must survive its own export: written back as
/// `config.json` and read again, it is the same config.
pub fn config_json(data: &[u8]) -> bool {
    let path = Path::new("config.json");
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(config) = Gemma3Config::from_hf_str(text, path) else {
        return false;
    };
    let _ = check_fits(&config, data.len() as u64, path);
    let again = Gemma3Config::from_hf_str(&config.to_hf_json().to_string(), path)
        .expect("an exported config reads back");
    assert_eq!(config, again);
    true
}

/// A LoRA adapter folder: `adapter_config.json`, a NUL byte, then `adapter_model.safetensors`.
pub fn lora_adapter(data: &[u8]) -> bool {
    let (config, weights) = split(data, 0);
    let Ok(config) = std::str::from_utf8(config) else {
        return false;
    };
    let Ok(weights) = SafetensorsFile::from_bytes("adapter_model.safetensors", weights.to_vec())
    else {
        return false;
    };
    AdapterFiles::parse(config, Path::new("adapter_config.json"), &weights).is_ok()
}

/// The i-th response checked against the i-th prompt's instructions (whatever its text), then
/// the matching by prompt and the report; whether the responses parsed.
fn score_all<E>(
    inputs: &[ifeval::InputExample],
    responses: &str,
    score: impl Fn(&ifeval::InputExample, &str) -> Result<ifeval::PromptResult, E>,
    evaluate: impl Fn(&[ifeval::InputExample], &[ResponseExample]) -> Result<ifeval::Evaluation, E>,
) -> bool {
    let Ok(responses) =
        parse_jsonl_text::<ResponseExample>(responses, Path::new("responses.jsonl"))
    else {
        return false;
    };
    let responses: Vec<ResponseExample> = responses.into_iter().map(|(_, r)| r).collect();
    for (input, response) in inputs.iter().zip(&responses) {
        if let Ok(result) = score(input, &response.response) {
            assert_eq!(result.strict.len(), input.instruction_id_list.len());
            assert!(result.strict.iter().zip(&result.loose).all(|(s, l)| l >= s));
        }
    }
    if let Ok(evaluation) = evaluate(inputs, &responses) {
        let _ = Report::new(&evaluation, serde_json::Value::Null).to_markdown();
    }
    true
}

/// Google's `input_data.jsonl` (any instruction, any kwargs), a 0xFF byte (never in UTF-8),
/// then responses in `input_response_data.jsonl`'s format.
pub fn ifeval_jsonl(data: &[u8]) -> bool {
    let (inputs, responses) = split(data, 0xFF);
    let (Ok(inputs), Ok(responses)) = (std::str::from_utf8(inputs), std::str::from_utf8(responses))
    else {
        return false;
    };
    let Ok(inputs) = parse_inputs(inputs, Path::new("input_data.jsonl")) else {
        return false;
    };
    score_all(
        &inputs,
        responses,
        ifeval::scoring::score_prompt,
        ifeval::evaluate,
    )
}

/// The IFBench scorer, with the NLTK data of `$GEMMA_DATA_DIR` (needed: the harness cannot run
/// without it).
static IFBENCH: LazyLock<ifbench::Scorer> = LazyLock::new(|| {
    ifbench::Scorer::new(&gemma::paths::data_dir()).expect("IFBench's NLTK data (GEMMA_DATA_DIR)")
});

/// `IFBench_test.jsonl` (any instruction, any kwargs), a 0xFF byte, then responses.
pub fn ifbench_jsonl(data: &[u8]) -> bool {
    let (inputs, responses) = split(data, 0xFF);
    let (Ok(inputs), Ok(responses)) = (std::str::from_utf8(inputs), std::str::from_utf8(responses))
    else {
        return false;
    };
    let scorer = &*IFBENCH;
    let Ok(inputs) = ifbench::io::parse_inputs(inputs, Path::new("IFBench_test.jsonl"), scorer)
    else {
        return false;
    };
    score_all(
        &inputs,
        responses,
        |input, response| scorer.score_prompt(input, response),
        |inputs, responses| scorer.evaluate(inputs, responses),
    )
}

/// The Gemma tokenizer that `scripts/fetch-model.sh` fetches (needed, as for IFBench).
static TOKENIZER: LazyLock<GemmaTokenizer> = LazyLock::new(|| {
    let path = gemma::paths::cache_dir().join(gemma::paths::TOKENIZER_FILE);
    GemmaTokenizer::from_file(&path).expect("the tokenizer (scripts/fetch-model.sh)")
});

/// Training JSONL, then each record encoded as `train` encodes it.
pub fn training_jsonl(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(records) = records::parse(text, Path::new("train.jsonl")) else {
        return false;
    };
    records.iter().all(|record| {
        let example = train::data::encode::encode(record, &TOKENIZER);
        if let Ok(e) = &example {
            assert_eq!(e.ids.len(), e.targets.len());
        }
        example.is_ok()
    })
}

/// Loads what `target` reads besides its input (the NLTK data, the tokenizer, langdetect's
/// profiles) before the fork server starts, so that every child inherits it instead of loading
/// it again, timed as part of an input.
pub fn warm_up(target: &str) {
    match target {
        "ifeval_jsonl" => drop(eval::ifeval::text::lang::detect(
            "Loaded once, before forking.",
        )),
        "ifbench_jsonl" => drop(LazyLock::force(&IFBENCH)),
        "training_jsonl" => drop(LazyLock::force(&TOKENIZER)),
        _ => {}
    }
}
