//! The model with packed int8 weights (llama.cpp-style integer kernels): close to f32, and the
//! same first greedy tokens on the prompt fixtures.

mod common;

use common::*;
use model::generate::{GenerationConfig, generate};
use model::packed::PackedFormat;
use model::{BackendKind, paths};

#[test]
fn int8_packed_model_keeps_the_first_greedy_tokens() {
    let Some(path) = paths::real_model_for_tests() else { return };
    let device = BackendKind::default_kind().device().unwrap();
    let packed = load(&path, &device).into_packed(PackedFormat::Int8 { block: 32 }, true).unwrap();
    let cfg = GenerationConfig { max_new_tokens: 8, stop_ids: vec![], ..Default::default() };
    for name in ["capital_fr", "code_python", "non_english_fr", "instruction", "chat_template_it_format"] {
        let p = read_json(&format!("gemma3-270m/{name}.json"));
        let ids_in = ids(&p["input_ids"]);
        let got = last_logits(&packed, &ids_in);
        let want = read_npy_f32(&format!("gemma3-270m/{name}_last_logits.npy"));
        eprintln!("int8 packed {name}: max |Δ| vs f32 reference {:.3}", max_abs_diff(&got, &want));
        assert_eq!(argmax(&got), argmax(&want), "{name}: top-1");
        let (out, _) = generate(&packed, None, &ids_in, &cfg, |_| {}).unwrap();
        assert_eq!(out.tokens, ids(&p["greedy"]["ids"])[..8].to_vec(), "{name}: first 8 greedy tokens");
    }
}
