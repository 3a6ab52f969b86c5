fuzz::afl_main!(config_json);
