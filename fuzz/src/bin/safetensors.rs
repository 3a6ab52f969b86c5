fuzz::afl_main!(safetensors);
