fuzz_gguf::afl_main!(fuzz::training_jsonl, fuzz::warm_up("training_jsonl"));
