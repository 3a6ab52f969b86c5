fuzz_gguf::afl_main!(fuzz::config_json, fuzz::warm_up("config_json"));
