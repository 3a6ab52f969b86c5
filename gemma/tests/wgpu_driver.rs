//! `--backend wgpu` on a machine without a Vulkan driver fails within seconds with a message
//! that says what to install, instead of falling back to OpenGL (which deadlocks on llvmpipe).
#![cfg(feature = "wgpu")]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn wgpu_without_a_vulkan_driver_fails_fast_and_says_why() {
    let start = Instant::now();
    // No ICD for the Vulkan loader: what a machine without mesa-vulkan-drivers looks like.
    let mut child = Command::new(env!("CARGO_BIN_EXE_gemma"))
        .args(["generate", "--backend", "wgpu", "--prompt", "hi"])
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("gemma --backend wgpu without a Vulkan driver still runs after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    eprintln!(
        "exited {status} after {:.2} s: {stderr}",
        start.elapsed().as_secs_f64()
    );
    assert!(!status.success(), "{stderr}");
    for said in ["no Vulkan adapter", "mesa-vulkan-drivers", "--backend flex"] {
        assert!(stderr.contains(said), "missing {said:?} in: {stderr}");
    }
}
