#!/usr/bin/env python3
"""llama.cpp's side of `gemma bench --vs-llama-cpp`: the same GGUF, the same token ids (read as
JSON from stdin), the same thread count. Prints one JSON object: prefill tok/s (last logits only),
time to first token, decode tok/s (greedy, batch 1), peak RSS. Exit code 3 when llama_cpp is absent."""
import json, sys, time, argparse

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--threads", type=int, required=True)
p.add_argument("--decode-tokens", type=int, required=True)
p.add_argument("--repeats", type=int, default=3)
a = p.parse_args()
try:
    import llama_cpp
    import numpy as np
except ImportError as e:
    print(json.dumps({"error": f"llama_cpp not importable ({e}); run scripts/install-llama-cpp-tools.sh"}))
    sys.exit(3)

req = json.load(sys.stdin)
long_ids, short_ids = req["prefill_ids"], req["short_ids"]
llm = llama_cpp.Llama(model_path=a.model, n_ctx=2048, n_batch=512, n_ubatch=512, n_threads=a.threads,
                      n_threads_batch=a.threads, logits_all=False, verbose=False)

def peak_rss():
    # VmHWM, not getrusage: ru_maxrss survives fork+exec and would report the parent's peak.
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))

def prefill(ids):
    llm.reset()
    t = time.perf_counter()
    llm.eval(ids)
    return time.perf_counter() - t

def median(f, n):
    ts = sorted(f() for _ in range(max(1, n)))
    return ts[len(ts) // 2]

prefill(short_ids)  # warm-up
pre = median(lambda: prefill(long_ids), a.repeats)
ttft = median(lambda: prefill(short_ids), a.repeats)
prefill(short_ids)
t = time.perf_counter()
n_vocab = llm.n_vocab()
for _ in range(a.decode_tokens):
    # The last token's row: without logits_all, `Llama.scores` is not filled.
    last = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,))
    nxt = int(np.argmax(last))
    llm.eval([nxt])
dec = time.perf_counter() - t
print(json.dumps({
    "llama_cpp_python": llama_cpp.__version__,
    "threads": a.threads,
    "prefill_tok_s": len(long_ids) / pre,
    "ttft_ms": ttft * 1e3,
    "decode_tok_s": a.decode_tokens / dec,
    "peak_rss_bytes": peak_rss(),
}))
