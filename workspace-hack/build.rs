// Empty: it exists so that cargo resolves the [build-dependencies] in Cargo.toml.
fn main() {}
