#!/usr/bin/env python3
"""llama.cpp's logits at every position of prompts of token ids, through llama-cpp-python on a
GGUF: the oracle of the as-shipped logit test. Reads {"prompts": [{"name": ..., "ids": [...]}]} as
JSON from stdin and writes each prompt's logits, [positions, vocab] as raw little-endian f32,
`<name>.f32`, into --out; prints one JSON object. The prompt goes in as one batch (llama.cpp's
prefill kernels) or, with --one-at-a-time, a token per step (its decode kernels). Exit code 3
when llama_cpp is absent."""
import argparse, json, os, sys

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--threads", type=int, required=True)
p.add_argument("--out", required=True)
p.add_argument("--one-at-a-time", action="store_true")
a = p.parse_args()
try:
    import llama_cpp
    import numpy as np
except ImportError as e:
    print(json.dumps({"error": f"llama_cpp not importable ({e}); run scripts/install-llama-cpp-tools.sh"}))
    sys.exit(3)

prompts = json.load(sys.stdin)["prompts"]
n_ctx = max(len(q["ids"]) for q in prompts) + 1
llm = llama_cpp.Llama(model_path=a.model, n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx,
                      n_threads=a.threads, n_threads_batch=a.threads, logits_all=True, verbose=False)
n_vocab = llm.n_vocab()
os.makedirs(a.out, exist_ok=True)
for q in prompts:
    llm.reset()
    for batch in ([[t] for t in q["ids"]] if a.one_at_a_time else [q["ids"]]):
        llm.eval(batch)
    llm.scores[: len(q["ids"])].astype("<f4").tofile(os.path.join(a.out, q["name"] + ".f32"))
print(json.dumps({"llama_cpp_python": llama_cpp.__version__, "threads": a.threads,
                  "one_at_a_time": a.one_at_a_time,
                  "n_vocab": n_vocab, "prompts": [q["name"] for q in prompts]}))
