fuzz::afl_main!(training_jsonl);
