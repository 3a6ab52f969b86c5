fuzz::afl_main!(ifbench_jsonl);
