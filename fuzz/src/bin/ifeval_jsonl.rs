fuzz_gguf::afl_main!(fuzz::ifeval_jsonl, fuzz::warm_up("ifeval_jsonl"));
