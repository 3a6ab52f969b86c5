//! Packing straight from the GGUF's blocks (`weights::load_packed`, what `--packed` loads) against
//! today's route through the f32 model (`load_model` then `into_packed`): the same packed weights
//! bit for bit, Q8_0 tensors byte for byte, and the token lookup from the packed Q8_0 table equal
//! to the float one.

mod common;

use burn::tensor::DType;
use common::*;
use gemma::paths;
use model::BackendKind;
use model::gguf::{GgmlType, GgufFile};
use model::packed::{PackedFormat, PackedMatrix};
use model::projection::Projection;
use model::weights;

fn packed_weights(model: &model::Gemma3) -> Vec<(String, &PackedMatrix)> {
    let mut all: Vec<(String, &PackedMatrix)> = model
        .projections()
        .map(|(path, p)| match p {
            Projection::Packed(w) => (path, &**w),
            Projection::Float(_) => panic!("{path} is not packed"),
        })
        .collect();
    let table = model
        .embed_tokens
        .packed
        .as_deref()
        .expect("a packed table");
    all.push(("embed_tokens".into(), table));
    all
}

#[test]
fn packing_from_the_gguf_equals_packing_the_f32_model() {
    let Some(path) = paths::real_model_for_tests() else {
        return;
    };
    let device = BackendKind::default_kind().device().unwrap();
    let file = GgufFile::open(&path).unwrap();
    let types: Vec<_> = file.tensors().iter().map(|t| t.ggml_type).collect();
    eprintln!(
        "tensor types: {} Q8_0 of {}",
        types.iter().filter(|&&t| t == GgmlType::Q8_0).count(),
        types.len()
    );
    assert_eq!(
        file.tensor("token_embd.weight").unwrap().ggml_type,
        GgmlType::Q8_0,
        "the Q8_0 → Int8 path is exercised"
    );
    let f32_model = load(&path, &device);
    for format in [
        PackedFormat::Int8 { block: 32 },
        PackedFormat::Int4 { block: 32 },
    ] {
        let direct = weights::load_packed(
            &path,
            &device,
            DType::F32,
            weights::Packing::Uniform(format),
        )
        .unwrap();
        assert!(direct.embed_tokens.chunks.is_empty(), "no float table kept");
        let via_f32 = f32_model.clone().into_packed(format, |_| true).unwrap();
        let (a, b) = (packed_weights(&direct), packed_weights(&via_f32));
        assert_eq!(a.len(), 18 * 7 + 1);
        for ((name, a), (_, b)) in a.iter().zip(&b) {
            assert!(a == b, "{format:?}: {name} differs");
        }
        assert_eq!(direct.packed_bytes(), via_f32.packed_bytes());
        // Every non-packed parameter (the norms) is the same too.
        let ids = ids(&read_json("gemma3-270m/capital_fr.json")["input_ids"]);
        assert_eq!(
            last_logits(&direct, &ids),
            last_logits(&via_f32, &ids),
            "{format:?}: same logits"
        );
        if format == (PackedFormat::Int8 { block: 32 }) {
            // The Q8_0 table taken as is dequantizes to exactly the float table's rows.
            let tokens = model::host::tokens(&ids, 1, &device);
            let got = model::host::to_vec(direct.embed_tokens.embed(tokens.clone(), DType::F32));
            let want = model::host::to_vec(f32_model.embed_tokens.embed(tokens, DType::F32));
            assert_eq!(got.unwrap(), want.unwrap(), "lookup from the packed table");
        }
    }
    as_shipped_holds_the_files_own_values(&path, &file, &f32_model);
}

/// `--packed gguf`: every matrix in the file's own type, dequantizing to exactly the float
/// model's weights (ggml's decoders), as large in memory as in the file but for Q5_0's widening
/// to int8 (22 → 34 bytes per 32 values).
fn as_shipped_holds_the_files_own_values(
    path: &std::path::Path,
    file: &GgufFile,
    f32_model: &model::Gemma3,
) {
    let device = f32_model.device();
    let shipped =
        weights::load_packed(path, &device, DType::F32, weights::Packing::AsShipped).unwrap();
    let float: Vec<Vec<f32>> = f32_model
        .projections()
        .map(|(path, p)| {
            let w = p.float(&path).unwrap().weight.val();
            model::host::to_vec(w.transpose()).unwrap()
        })
        .chain([f32_model.embed_tokens.to_host().unwrap()])
        .collect();
    let mut file_bytes = 0u64;
    let mut widened = 0u64;
    for ((name, m), want) in packed_weights(&shipped).iter().zip(&float) {
        let gguf = if name == "embed_tokens" {
            "token_embd.weight".to_string()
        } else {
            model::weights::gguf_name(&format!("model.{name}.weight"))
                .unwrap()
                .0
        };
        let info = file.tensor(&gguf).unwrap();
        assert_eq!(
            m.format(),
            PackedFormat::Shipped(model::packed::Shipped::from_ggml(info.ggml_type).unwrap()),
            "{name}"
        );
        assert!(
            m.dequantize() == *want,
            "{name}: values differ from the float model's"
        );
        file_bytes += info.n_bytes;
        if info.ggml_type == GgmlType::Q5_0 {
            widened += info.n_bytes / 22 * (34 - 22);
        }
    }
    eprintln!(
        "as shipped: {:.1} MiB packed, the file's matrices {:.1} MiB (+{:.1} MiB of Q5_0 widened to int8)",
        shipped.packed_bytes() as f64 / 1048576.0,
        file_bytes as f64 / 1048576.0,
        widened as f64 / 1048576.0
    );
    assert_eq!(shipped.packed_bytes() as u64, file_bytes + widened);
}
