// Embed libtorch's lib folder as an rpath, so the binary and tests also run with the `tch`
// backend compiled in (which `--features model/tch` does without this crate's `tch` feature)
// without LD_LIBRARY_PATH. `.cargo/config.toml` sets LIBTORCH; an unused rpath costs nothing.
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}/lib");
    }
}
