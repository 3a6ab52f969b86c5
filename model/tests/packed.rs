//! Packed matrices on the real GGUF: its Q8_0 token embedding (the tied LM head) is used as is.

use gemma::paths;
use gguf::{GgmlType, GgufFile};
use kernels::packed::{PackedFormat, PackedMatrix};

#[test]
fn packed_q8_0_token_embedding_is_exact_and_multiplies_as_the_lm_head() {
    let Some(path) = paths::real_model_for_tests() else {
        return;
    };
    let file = GgufFile::open(&path).unwrap();
    let info = file.tensor("token_embd.weight").unwrap();
    assert_eq!(info.ggml_type, GgmlType::Q8_0);
    let [rows, cols] = info.shape()[..] else {
        panic!("token_embd.weight is not 2-D: {:?}", info.shape())
    };
    let m = PackedMatrix::from_gguf_q8_0(&file.read_bytes(info).unwrap(), rows, cols).unwrap();
    assert_eq!(
        (m.rows(), m.cols(), m.format()),
        (rows, cols, PackedFormat::Int8 { block: 32 })
    );
    assert_eq!(m.bytes() as u64, info.n_bytes);

    let want = file.dequantize("token_embd.weight").unwrap();
    let got = m.dequantize();
    assert_eq!(got.len(), want.len());
    if let Some(i) = got
        .iter()
        .zip(&want)
        .position(|(g, w)| g.to_bits() != w.to_bits())
    {
        panic!(
            "value {i} (row {}, col {}): {} vs the GGUF reader's {}",
            i / cols,
            i % cols,
            got[i],
            want[i]
        );
    }

    // Logits of two activation rows over the whole vocabulary, checked on every 101st row against
    // f64 with the dequantized weights: within the activation rounding bound Σ|w|·x_scale/2 (the
    // packed module's tests derive it), plus f32 slack.
    let x: Vec<f32> = (0..2 * cols)
        .map(|j| ((j * 7919 % 613) as f32 / 613.0 - 0.5) * 3.0)
        .collect();
    let logits = m.matmul(&x, 2).unwrap();
    for (i, x) in x.chunks(cols).enumerate() {
        let x_scale: Vec<f64> = x
            .chunks(32)
            .map(|b| b.iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64 / 127.0)
            .collect();
        for r in (0..rows).step_by(101) {
            let w = &want[r * cols..][..cols];
            let exact: f64 = w.iter().zip(x).map(|(&w, &x)| w as f64 * x as f64).sum();
            let bound: f64 = w
                .iter()
                .enumerate()
                .map(|(j, w)| w.abs() as f64 * x_scale[j / 32] / 2.0)
                .sum::<f64>()
                + 1e-4;
            let got = logits[i * rows + r] as f64;
            assert!(
                (got - exact).abs() <= bound,
                "row {i}, token {r}: {got} vs {exact} ± {bound}"
            );
        }
    }
}

/// Set in the child processes of [`gemma_kernel_forces_a_path_or_is_refused`].
const CHILD: &str = "GEMMA_KERNEL_TEST_CHILD";

/// `GEMMA_KERNEL` is read once per process, so each value is tried in a child process running
/// [`kernel_child`]: a kernel this CPU has is the one every matmul uses (a CPU without AVX-512 is
/// what `avx2` simulates), and an unknown one is an error naming the variable, not a panic.
#[test]
fn gemma_kernel_forces_a_path_or_is_refused() {
    let available: Vec<_> = kernels::packed::Kernel::available()
        .iter()
        .map(|k| k.name())
        .collect();
    eprintln!("kernels on this CPU: {available:?}");
    for name in ["scalar", "avx2", "avx512", "avx9"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "kernel_child", "--nocapture", "--test-threads=1"])
            .env(kernels::packed::KERNEL_ENV, name)
            .env(
                CHILD,
                if available.contains(&name) {
                    "ok"
                } else {
                    "refused"
                },
            )
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "GEMMA_KERNEL={name}:\n{log}");
        assert!(
            log.contains("1 passed"),
            "GEMMA_KERNEL={name}: the child ran\n{log}"
        );
    }
}

/// Does nothing unless started by [`gemma_kernel_forces_a_path_or_is_refused`].
#[test]
fn kernel_child() {
    let Ok(expect) = std::env::var(CHILD) else {
        return;
    };
    let name = std::env::var(kernels::packed::KERNEL_ENV).unwrap();
    let (rows, cols) = (8, 64);
    let w: Vec<f32> = (0..rows * cols).map(|i| (i % 13) as f32 - 6.0).collect();
    let x: Vec<f32> = (0..cols).map(|i| (i % 7) as f32 - 3.0).collect();
    let m = PackedMatrix::quantize(&w, rows, cols, PackedFormat::Int8 { block: 32 }).unwrap();
    match expect.as_str() {
        "ok" => {
            let kernel = kernels::packed::Kernel::selected().unwrap();
            assert_eq!(kernel.name(), name);
            // Bit for bit what the named kernel gives (AVX-512 rounds differently from the
            // others, so this tells it apart).
            let named = kernels::packed::Kernel::by_name(&name).unwrap();
            assert_eq!(
                m.matmul(&x, 1).unwrap(),
                m.matmul_with(&x, 1, named).unwrap()
            );
        }
        _ => {
            let err = m.matmul(&x, 1).unwrap_err().to_string();
            assert!(err.contains("GEMMA_KERNEL") && err.contains(&name), "{err}");
            // Loading a float model is refused too, before the file is even looked at.
            let device = burn::prelude::Device::flex();
            let missing = std::path::Path::new("no-such-model.gguf");
            let err = model::weights::load_model(missing, &device, burn::tensor::DType::F32)
                .expect_err("refused")
                .to_string();
            assert!(err.contains("GEMMA_KERNEL") && err.contains(&name), "{err}");
        }
    }
}
