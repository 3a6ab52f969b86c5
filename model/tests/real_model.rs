//! The real Gemma 3 270M (the Q4_K_M GGUF, dequantized to f32) against HF transformers'
//! reference outputs in `fixtures/gemma3-270m`. Each test skips loudly when the weights are absent
//! (fetch them with `scripts/fetch-model.sh`).

mod common;

use common::*;
use engine::{GenerationConfig, generate, generate_batch};
use gemma::paths;
use model::GemmaTokenizer;
use model::chat_template::{self, Message};
use model::tokenizer::STOP_IDS;

/// The bound for f32 backends (the fixture README expects about 1e-3).
const LOGIT_TOL: f32 = 2e-3;
const PROMPTS: [&str; 6] = [
    "capital_fr",
    "long_lighthouse",
    "code_python",
    "non_english_fr",
    "instruction",
    "chat_template_it_format",
];

fn tokenizer() -> Option<GemmaTokenizer> {
    let model = paths::real_model_for_tests()?;
    let path =
        paths::resolve_tokenizer(&model, None).expect("tokenizer.json is fetched with the model");
    Some(GemmaTokenizer::from_file(&path).unwrap())
}

/// The lean `tokenizer.json` reader builds the very tokenizer the crate's own reader builds:
/// the same vocabulary, merges, added tokens, normalizer, pre-tokenizer, post-processor and
/// decoder, as both serialize.
#[test]
fn tokenizer_loads_as_the_crates_own_reader_loads_it() {
    let Some(model) = paths::real_model_for_tests() else {
        return;
    };
    let path = paths::resolve_tokenizer(&model, None).unwrap();
    let ours = GemmaTokenizer::from_file(&path).unwrap();
    let theirs = tokenizers::Tokenizer::from_file(&path).unwrap();
    assert_eq!(ours.vocab_size(), 262_145);
    assert!(
        ours.tokenizer().to_string(false).unwrap() == theirs.to_string(false).unwrap(),
        "{}: the two readers build different tokenizers",
        path.display()
    );
}

fn prompt(name: &str) -> serde_json::Value {
    read_json(&format!("gemma3-270m/{name}.json"))
}

#[test]
fn tokenizer_ids_equal_the_official_tokenizer() {
    let Some(tok) = tokenizer() else { return };
    let cases = read_json("gemma3-270m/tokenizer_cases.json");
    for case in cases.as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let got = tok.encode(text, true).unwrap();
        assert_eq!(got, ids(&case["hf_tokenizers_npm_json"]), "ids of {text:?}");
        assert_eq!(
            tok.decode(&got[1..], false).unwrap(),
            text,
            "decode(encode(s)) of {text:?}"
        );
    }
    for name in PROMPTS {
        let p = prompt(name);
        assert_eq!(
            tok.encode(p["text"].as_str().unwrap(), true).unwrap(),
            ids(&p["input_ids"]),
            "{name}"
        );
    }
}

#[test]
fn bos_is_added_exactly_once() {
    let Some(tok) = tokenizer() else { return };
    assert_eq!(
        tok.encode_prompt("<bos>Hi").unwrap(),
        tok.encode("Hi", true).unwrap()
    );
    assert_eq!(
        tok.encode_prompt("Hi")
            .unwrap()
            .iter()
            .filter(|&&t| t == 2)
            .count(),
        1
    );
}

#[test]
fn last_logits_match_hf_on_every_backend() {
    let Some(path) = paths::real_model_for_tests() else {
        return;
    };
    for (backend, device) in backends() {
        let model = load(&path, &device);
        for name in PROMPTS {
            let p = prompt(name);
            let got = last_logits(&model, &ids(&p["input_ids"]));
            let want = read_npy_f32(&format!("gemma3-270m/{name}_last_logits.npy"));
            let diff = max_abs_diff(&got, &want);
            eprintln!("{backend} {name}: max |Δ| = {diff:.2e}");
            assert!(
                diff <= LOGIT_TOL,
                "{backend} {name}: last-position max |Δ| {diff} > {LOGIT_TOL}"
            );
            let mut order: Vec<usize> = (0..got.len()).collect();
            order.sort_by(|&a, &b| got[b].total_cmp(&got[a]));
            let mut top20: Vec<u32> = order[..20].iter().map(|&i| i as u32).collect();
            let mut want20 = ids(&p["last_logits_top20"]["ids"]);
            top20.sort();
            want20.sort();
            assert_eq!(top20, want20, "{backend} {name}: top-20 set");
        }
    }
}

#[test]
fn per_position_argmax_matches_hf() {
    let Some(model) = default_model() else { return };
    for name in PROMPTS {
        let p = prompt(name);
        let want = ids(&p["per_position_argmax"]);
        for (pos, logits) in all_logits(model, &ids(&p["input_ids"])).iter().enumerate() {
            let got = argmax(logits);
            if got != want[pos] {
                // Only a near-tie may flip (long_lighthouse position 505 has a 2.5e-4 margin).
                let margin = (logits[got as usize] - logits[want[pos] as usize]).abs();
                assert!(
                    margin < LOGIT_TOL,
                    "{name} position {pos}: argmax {got}, reference {} (margin {margin})",
                    want[pos]
                );
            }
        }
    }
}

#[test]
fn greedy_matches_hf_with_and_without_cache() {
    let Some(model) = default_model() else { return };
    let cfg = GenerationConfig {
        max_new_tokens: 32,
        stop_ids: vec![],
        ..Default::default()
    };
    for name in PROMPTS {
        let p = prompt(name);
        let (input, want) = (ids(&p["input_ids"]), ids(&p["greedy"]["ids"]));
        let (out, _) = generate(model, None, &input, &cfg, |_| {}).unwrap();
        assert_eq!(out.tokens, want, "{name}: greedy with the KV cache");
        assert_eq!(
            greedy_no_cache(model, &input, 32),
            want,
            "{name}: greedy recomputed without the cache"
        );
    }
}

#[test]
fn batched_greedy_equals_each_prompt_alone() {
    let Some(model) = default_model() else { return };
    let cfg = GenerationConfig {
        max_new_tokens: 32,
        stop_ids: vec![],
        ..Default::default()
    };
    let prompts: Vec<Vec<u32>> = PROMPTS
        .iter()
        .map(|n| ids(&prompt(n)["input_ids"]))
        .collect();
    let (outs, _) = generate_batch(model, None, &prompts, &cfg, |_, _| {}).unwrap();
    for (name, out) in PROMPTS.iter().zip(outs) {
        assert_eq!(
            out.tokens,
            ids(&prompt(name)["greedy"]["ids"]),
            "{name} in a padded batch of {}",
            PROMPTS.len()
        );
    }
}

#[test]
fn ifeval_chat_prompts_give_the_reference_tokens() {
    let (Some(model), Some(tok)) = (default_model(), tokenizer()) else {
        return;
    };
    let fixture = read_json("gemma3-270m/ifeval_greedy.json");
    let cfg = GenerationConfig {
        max_new_tokens: 48,
        stop_ids: STOP_IDS.to_vec(),
        ..Default::default()
    };
    for rec in fixture["records"].as_array().unwrap() {
        let text = chat_template::render(
            &[Message::new("user", rec["prompt"].as_str().unwrap())],
            true,
        )
        .unwrap();
        let input = tok.encode_prompt(&text).unwrap();
        assert_eq!(
            input,
            ids(&rec["input_ids"]),
            "key {}: chat-format input ids",
            rec["key"]
        );
        let (out, _) = generate(model, Some(&tok), &input, &cfg, |_| {}).unwrap();
        assert_eq!(
            out.tokens,
            ids(&rec["generated_ids"]),
            "key {}: greedy ids",
            rec["key"]
        );
    }
}

#[test]
fn chat_template_renders_the_reference_examples() {
    let Some(tok) = tokenizer() else { return };
    let fixture = read_json("gemma3-270m/chat_template.json");
    for ex in fixture["examples"].as_object().unwrap().values() {
        let messages: Vec<Message> = serde_json::from_value(ex["messages"].clone()).unwrap();
        let rendered = ex["rendered"].as_str().unwrap();
        let ours =
            chat_template::render(&messages, rendered.ends_with("<start_of_turn>model\n")).unwrap();
        assert_eq!(format!("<bos>{ours}"), rendered);
        assert_eq!(
            tok.encode(&ours, true).unwrap(),
            ids(&ex["ids_npm_tokenizer"])
        );
    }
}
