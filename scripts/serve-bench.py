#!/usr/bin/env python3
"""Aggregate throughput of `gemma serve` against llama.cpp's `llama-server`, same GGUF, same
threads, same requests, in one invocation: CLIENTS concurrent clients each send IFEval prompts
(the first PROMPTS of the shared data, in the chat template) as greedy /v1/completions requests
of MAX_TOKENS new tokens. Prints generated tok/s per server and the ratio; writes JSON.

usage: scripts/serve-bench.py [--clients 16] [--prompts 64] [--max-tokens 128] [--threads 2]
                              [--packed int8] [--out runs/serve-bench.json]
Needs the release `gemma` binary (cargo build --release -p gemma) and llama-server
(scripts/install-llama-cpp-tools.sh).
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

root = Path(__file__).resolve().parent.parent
p = argparse.ArgumentParser()
p.add_argument("--clients", type=int, default=16)
p.add_argument("--prompts", type=int, default=64)
p.add_argument("--max-tokens", type=int, default=128)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--packed", choices=["int8", "int4"], default=None)
p.add_argument("--model", default=str(root / ".cache/models/gemma-3-270m-q4_k_m.gguf"))
p.add_argument("--gemma", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", root / "target"), "release/gemma"))
p.add_argument("--llama-server", default=str(root / ".cache/llama.cpp/bin/llama-server"))
p.add_argument("--out", default=str(root / "runs/serve-bench.json"))
args = p.parse_args()

data = Path(os.environ.get("GEMMA_DATA_DIR", root.parent / "shared")) / "data/ifeval/input_data.jsonl"
with open(data) as f:
    texts = [json.loads(line)["prompt"] for _, line in zip(range(args.prompts), f)]
# The Gemma chat template for one user turn; both servers add <bos> to a text prompt.
prompts = [f"<start_of_turn>user\n{t.strip()}<end_of_turn>\n<start_of_turn>model\n" for t in texts]


def wait_ready(url, proc, secs=300):
    start = time.time()
    while time.time() - start < secs:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    sys.exit("the server did not become ready")


def post(url, body):
    req = urllib.request.Request(url + "/v1/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read())


def load(url, extra):
    """Every prompt once, by `clients` workers; returns (generated tokens, seconds)."""
    work = queue.Queue()
    for prompt in prompts:
        work.put(prompt)
    totals = []
    lock = threading.Lock()

    def client():
        while True:
            try:
                prompt = work.get_nowait()
            except queue.Empty:
                return
            r = post(url, {"prompt": prompt, "max_tokens": args.max_tokens, "temperature": 0, **extra})
            with lock:
                totals.append(r["usage"]["completion_tokens"])

    start = time.time()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(totals), time.time() - start


def run(name, cmd, port, extra):
    print(f"== {name}: {' '.join(cmd)}", flush=True)
    log = open(Path(args.out).with_suffix(f".{name}.log"), "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        post(url, {"prompt": "warm up", "max_tokens": 4, "temperature": 0, **extra})
        tokens, secs = load(url, extra)
    finally:
        proc.terminate()
        proc.wait()
    print(f"   {tokens} tokens in {secs:.1f} s: {tokens / secs:.1f} tok/s", flush=True)
    return {"server": name, "command": cmd, "tokens": tokens, "secs": secs, "tok_s": tokens / secs}


Path(args.out).parent.mkdir(parents=True, exist_ok=True)
env_threads = str(args.threads)
os.environ["RAYON_NUM_THREADS"] = env_threads
ctx_per_slot = 2048
gemma_cmd = [args.gemma, "serve", "--model", args.model, "--port", "18080",
             "--max-seqs", str(args.clients)] + (["--packed", args.packed] if args.packed else [])
llama_cmd = [args.llama_server, "-m", args.model, "--port", "18081", "-np", str(args.clients),
             "-c", str(ctx_per_slot * args.clients), "-t", env_threads, "-tb", env_threads,
             "--no-webui"]
ours = run("gemma-serve" + (f"-{args.packed}" if args.packed else "-f32"), gemma_cmd, 18080, {})
# llama-server's `ignore_eos` is off, like ours: both stop at <eos>/<end_of_turn>.
theirs = run("llama-server", llama_cmd, 18081, {})
ratio = ours["tok_s"] / theirs["tok_s"]
result = {"clients": args.clients, "prompts": args.prompts, "max_tokens": args.max_tokens,
          "threads": args.threads, "ours": ours, "llama_server": theirs, "ratio": ratio,
          "date": time.strftime("%Y-%m-%d")}
Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
print(f"ratio gemma serve / llama-server: {ratio:.2f}x (target >= 1.0: {'met' if ratio >= 1 else 'not met'})")
print(f"wrote {args.out}")
