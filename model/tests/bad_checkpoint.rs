//! A checkpoint with a missing or mis-shaped tensor is an error naming the file and the tensor.

mod common;

use common::fixture;
use model::{BackendKind, weights};
use safetensors::SafeTensors;
use std::path::{Path, PathBuf};

/// A copy of the tiny checkpoint with `edit` applied to its (name, shape, bytes) list.
fn tiny_copy(tag: &str, edit: impl Fn(&mut Vec<(String, Vec<usize>, Vec<u8>)>)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gemma-bad-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixture("tiny-gemma3/config.json"), dir.join("config.json")).unwrap();
    let bytes = std::fs::read(fixture("tiny-gemma3/model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.shape().to_vec(), v.data().to_vec()))
        .collect();
    edit(&mut tensors);
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(n, s, d)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
                    .unwrap(),
            )
        })
        .collect();
    safetensors::serialize_to_file(views, None, &dir.join("model.safetensors")).unwrap();
    dir
}

fn load_err(dir: &Path) -> String {
    let device = BackendKind::default_kind().device().unwrap();
    match weights::load_model(dir, &device, burn::tensor::DType::F32) {
        Ok(_) => panic!("loading {} should fail", dir.display()),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn missing_tensor_is_named() {
    let dir = tiny_copy("missing", |t| {
        t.retain(|(n, _, _)| n != "model.layers.3.mlp.up_proj.weight")
    });
    let err = load_err(&dir);
    assert!(
        err.contains("model.layers.3.mlp.up_proj.weight") && err.contains("missing"),
        "{err}"
    );
    assert!(err.contains(&dir.display().to_string()), "{err}");
}

#[test]
fn wrong_shape_is_named_with_both_shapes() {
    let dir = tiny_copy("shape", |t| {
        let e = t
            .iter_mut()
            .find(|(n, _, _)| n == "model.layers.0.self_attn.q_proj.weight")
            .unwrap();
        e.1 = vec![e.1[1], e.1[0]];
    });
    let err = load_err(&dir);
    assert!(
        err.contains("model.layers.0.self_attn.q_proj.weight")
            && err.contains("[64, 128]")
            && err.contains("expected [128, 64]"),
        "{err}"
    );
}

#[test]
fn missing_config_is_an_error() {
    let dir = tiny_copy("noconfig", |_| {});
    std::fs::remove_file(dir.join("config.json")).unwrap();
    let err = load_err(&dir);
    assert!(err.contains("config.json"), "{err}");
}
