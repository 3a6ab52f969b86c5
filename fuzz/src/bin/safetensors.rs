fuzz_gguf::afl_main!(fuzz::safetensors, fuzz::warm_up("safetensors"));
