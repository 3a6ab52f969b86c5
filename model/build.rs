// With the `tch` backend, embed libtorch's lib folder as an rpath so binaries and tests run
// without LD_LIBRARY_PATH (scripts/fetch-libtorch.sh makes that folder).
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH")
        && std::env::var_os("CARGO_FEATURE_TCH").is_some()
    {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}/lib");
    }
}
