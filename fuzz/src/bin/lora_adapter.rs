fuzz_gguf::afl_main!(fuzz::lora_adapter, fuzz::warm_up("lora_adapter"));
