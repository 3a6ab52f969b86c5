//! ggml's Q8_0 and Q4_0 made from f32 values (`PackedFormat::Shipped`, `--packed q8_0|q4_0`)
//! against llama.cpp's own `llama-quantize` (built by `scripts/install-llama-cpp-tools.sh`, which
//! `scripts/test.sh` runs): the shipped file becomes an F32 GGUF, then Q8_0 and Q4_0 GGUFs, and
//! every matrix of those equals, value for value, what quantizing the same f32 weights here gives.
//! The Q4_0 file's types are also the mix `--packed q4_0` uses, and `--packed q4_0`'s load
//! (`load_packed` with that mix, straight from the shipped file) holds exactly its matrices.

mod common;

use burn::tensor::DType;
use common::quantize;
use gemma::paths;
use gguf::{GgmlType, GgufFile};
use kernels::packed::{PackedFormat, PackedMatrix, Shipped};
use model::BackendKind;
use model::projection::Projection;
use model::weights::{Packing, gguf_name, load_packed};
use std::path::Path;

#[test]
fn q8_0_and_q4_0_equal_llama_quantize_on_every_matrix() {
    let Some(model) = paths::real_model_for_tests() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("ggml-quantizers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f32_path = dir.join("f32.gguf");
    quantize(&model, &f32_path, "F32");
    let float = GgufFile::open(&f32_path).unwrap();
    for ty in [GgmlType::Q8_0, GgmlType::Q4_0] {
        let path = dir.join(format!("{ty}.gguf"));
        quantize(&f32_path, &path, &ty.to_string());
        let theirs = GgufFile::open(&path).unwrap();
        let mut matrices = 0;
        for info in theirs.tensors().iter().filter(|t| t.shape().len() == 2) {
            // Q4_0's file keeps the tied embedding in Q8_0 (its Q6_K output type falls back).
            let want_type = match (ty, info.name.as_str()) {
                (GgmlType::Q4_0, "token_embd.weight") => GgmlType::Q8_0,
                _ => ty,
            };
            assert_eq!(info.ggml_type, want_type, "{ty} file: {}", info.name);
            let [rows, cols] = info.shape()[..] else {
                unreachable!()
            };
            let shipped = Shipped::from_ggml(info.ggml_type).unwrap();
            let values = float.dequantize(&info.name).unwrap();
            let ours = PackedMatrix::quantize(&values, rows, cols, PackedFormat::Shipped(shipped))
                .unwrap()
                .dequantize();
            let want = theirs.dequantize(&info.name).unwrap();
            let differ = |i: &usize| ours[*i].to_bits() != want[*i].to_bits();
            let bad = (0..ours.len()).filter(differ).count();
            if let Some(i) = (0..ours.len()).find(differ) {
                panic!(
                    "{ty} {}: {bad} of {} values differ from llama-quantize's; first at row {}, col {}: x = {}, {} vs {}",
                    info.name,
                    ours.len(),
                    i / cols,
                    i % cols,
                    values[i],
                    ours[i],
                    want[i]
                );
            }
            matrices += 1;
        }
        // The embedding and Gemma 3 270M's 7 projections × 18 layers.
        assert_eq!(matrices, 1 + 7 * 18, "{ty}");
        if ty == GgmlType::Q4_0 {
            check_packed_q4_0_load(&model, &theirs);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--packed q4_0`'s model, loaded from the shipped file, holds llama-quantize's Q4_0 file.
fn check_packed_q4_0_load(model: &Path, theirs: &GgufFile) {
    let device = BackendKind::Flex.device().unwrap();
    let packing = Packing::Split {
        projections: PackedFormat::Shipped(Shipped::Q4_0),
        embedding: PackedFormat::Shipped(Shipped::Q8_0),
    };
    let packed = load_packed(model, &device, DType::F32, packing).unwrap();
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    let table = packed
        .embed_tokens
        .packed
        .as_ref()
        .expect("a packed embedding");
    let mut matrices = vec![("token_embd.weight".to_string(), table.dequantize())];
    for (path, p) in packed.projections() {
        let Projection::Packed(m) = p else {
            panic!("{path} is not packed")
        };
        let (name, _) = gguf_name(&format!("model.{path}.weight")).unwrap();
        matrices.push((name, m.dequantize()));
    }
    assert_eq!(matrices.len(), 1 + 7 * 18);
    for (name, ours) in matrices {
        let want = theirs.dequantize(&name).unwrap();
        assert!(
            bits(ours) == bits(want),
            "--packed q4_0: {name} differs from llama-quantize's"
        );
    }
}
