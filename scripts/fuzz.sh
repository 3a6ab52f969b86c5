#!/usr/bin/env bash
# Fuzzes every reader of untrusted input with AFL++ (cargo-afl, on stable Rust). Builds the
# instrumented targets (fuzz-gguf/src/bin, fuzz/src/bin), writes the seed corpus from what this machine has (the
# shared data, the tiny fixture, the real GGUF; none of it is in the repo) plus every past
# crash (fuzz/regressions), runs each target for SECONDS, then fails if any input crashed,
# aborted (an allocation above the harness's cap counts) or hung (over 1 s).
# Findings stay in .cache/fuzz/<target>/out; the summary goes to runs/fuzz/summary.{json,md}.
#   usage: scripts/fuzz.sh [-t SECONDS] [-j PARALLEL] [TARGET...]
#   default: 600 s per target, every target, 2 at a time (one per core)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=600
parallel=2
while getopts t:j: opt; do
  case $opt in
    t) secs=$OPTARG ;;
    j) parallel=$OPTARG ;;
    *) echo "usage: $0 [-t SECONDS] [-j PARALLEL] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
every=(gguf dequantize gguf_model safetensors config_json lora_adapter ifeval_jsonl ifbench_jsonl training_jsonl)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${every[@]}")

export GEMMA_DATA_DIR=${GEMMA_DATA_DIR:-$(cd .. && pwd)/shared}
# The IFBench and training targets read the NLTK data and the tokenizer; the GGUF seeds, the model.
bash scripts/fetch-model.sh

afl_version=0.18.2
if ! cargo afl --version 2>/dev/null | grep -q "$afl_version"; then
  cargo install --locked --quiet cargo-afl --version "$afl_version"
fi
# AFL++ itself, built by cargo-afl once per toolchain ("already built" is not a failure).
cargo afl config --build >/dev/null 2>&1 || true

# Instrumented, so a target dir of its own (beside the main one, outside the clone).
target_dir=${FUZZ_TARGET_DIR:-$HOME/.cache/gemma-burn/fuzz-target}
# The formats crate's targets (fuzz-gguf) build without Burn; the rest need the model.
CARGO_TARGET_DIR=$target_dir cargo afl build --release --quiet -p fuzz-gguf -p fuzz \
  --features fuzz-gguf/afl,fuzz/afl --bins
bin=$target_dir/release

work=.cache/fuzz
rm -rf "$work/seeds"
"$bin/fuzz-seeds" "$work/seeds"
for t in "${targets[@]}"; do
  [ -x "$bin/$t" ] || { echo "no fuzz target named $t (targets: ${every[*]})" >&2; exit 2; }
  if [ -d "fuzz/regressions/$t" ]; then cp fuzz/regressions/"$t"/* "$work/seeds/$t/"; fi
done

# No TTY UI; this machine's CPU governor and core pattern are not ours to change.
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
run() {
  local t=$1 out=$work/$1/out
  rm -rf "$out"
  mkdir -p "$work/$t"
  cargo afl fuzz -i "$work/seeds/$t" -o "$out" -V "$secs" -t 1000 -- "$bin/$t" \
    >"$work/$t/afl.log" 2>&1 || { echo "afl-fuzz failed on $t; see $work/$t/afl.log" >&2; tail -20 "$work/$t/afl.log" >&2; }
}
echo "fuzzing ${targets[*]}: ${secs} s each, $parallel at a time"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  run "$t" &
done
wait

mkdir -p runs/fuzz
python3 - "$work" "$secs" "${targets[@]}" <<'PY'
import json, os, sys
work, secs, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows, bad = [], []
for t in targets:
    stats = {}
    path = os.path.join(work, t, "out", "default", "fuzzer_stats")
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.partition(":")
            stats[k.strip()] = v.strip()
    found = {}
    for kind in ("crashes", "hangs"):
        d = os.path.join(work, t, "out", "default", kind)
        found[kind] = sorted(f for f in os.listdir(d) if f.startswith("id:")) if os.path.isdir(d) else []
    row = {
        "target": t,
        "seconds": int(stats.get("run_time", 0)),
        "execs": int(stats.get("execs_done", 0)),
        "execs_per_sec": float(stats.get("execs_per_sec", 0)),
        "corpus": int(stats.get("corpus_count", 0)),
        "edges_found": int(stats.get("edges_found", 0)),
        "crashes": len(found["crashes"]),
        "hangs": len(found["hangs"]),
    }
    rows.append(row)
    if not stats or row["execs"] == 0 or found["crashes"] or found["hangs"]:
        bad.append(t)
json.dump({"seconds_per_target": secs, "targets": rows}, open("runs/fuzz/summary.json", "w"), indent=2)
md = ["| target | seconds | executions | exec/s | corpus | edges | crashes | hangs |",
      "|---|---:|---:|---:|---:|---:|---:|---:|"]
md += [f"| {r['target']} | {r['seconds']} | {r['execs']} | {r['execs_per_sec']:.0f} | {r['corpus']} "
       f"| {r['edges_found']} | {r['crashes']} | {r['hangs']} |" for r in rows]
open("runs/fuzz/summary.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
if bad:
    print(f"\nFAILED: {', '.join(bad)}: crashes or hangs (inputs in {work}/<target>/out/default/), "
          f"or a fuzzer that did not run (see {work}/<target>/afl.log)")
    sys.exit(1)
PY
