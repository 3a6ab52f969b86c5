fuzz::afl_main!(gguf);
