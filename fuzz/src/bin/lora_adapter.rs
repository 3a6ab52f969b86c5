fuzz::afl_main!(lora_adapter);
