fuzz::afl_main!(ifeval_jsonl);
