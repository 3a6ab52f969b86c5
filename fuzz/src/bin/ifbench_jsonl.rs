fuzz_gguf::afl_main!(fuzz::ifbench_jsonl, fuzz::warm_up("ifbench_jsonl"));
