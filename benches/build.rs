// With `model/tch` the bench binaries link libtorch. The feature belongs to the model crate and
// cannot be seen from here, so when LIBTORCH is set (.cargo/config.toml does) its lib folder is
// always embedded as an rpath, as model/build.rs and eval/build.rs do; unused without tch.
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}/lib");
    }
}
