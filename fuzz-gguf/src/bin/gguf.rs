fuzz_gguf::afl_main!(fuzz_gguf::gguf);
