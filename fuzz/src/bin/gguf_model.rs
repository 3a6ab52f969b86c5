fuzz_gguf::afl_main!(fuzz::gguf_model, fuzz::warm_up("gguf_model"));
