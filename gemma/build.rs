// Also the build script of `engine`, `eval`, `experiments`, `serve` and `fuzz` (their Cargo.toml points here).
// With the model's `tch` backend, a crate's binaries and tests link libtorch. Whether
// `model/tch` is on cannot be seen from here (it is a feature of the model crate), so when
// LIBTORCH is set (.cargo/config.toml does) its lib folder is always embedded as an rpath,
// as model/build.rs does for the model crate's own binaries; it is unused without tch.
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}/lib");
    }
}
