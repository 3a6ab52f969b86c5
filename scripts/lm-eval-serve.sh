#!/usr/bin/env bash
# lm-eval-harness (pinned) as a client of `gemma serve`, offline: its own IFEval task with the
# dataset switched from the hub to the shared copy, `local-completions` against the server, and
# vLLM's tokenizer endpoints (`tokenizer_backend=remote`), so no HF tokenizer or torch is needed.
# lm-eval goes into .cache/lm-eval; results into runs/lm-eval/. Needs the release `gemma`
# binary (cargo build --release -p gemma).
#   usage: scripts/lm-eval-serve.sh [LIMIT (5)] [MAX_GEN_TOKS (128)] [gemma serve options...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${GEMMA_DATA_DIR:-$(cd .. && pwd)/shared}
limit=${1:-5}
gen=${2:-128}
shift $(($# < 2 ? $# : 2))
version=0.4.13
py="$root/.cache/lm-eval"
if [ ! -d "$py/lm_eval-$version.dist-info" ] || [ ! -d "$py/tenacity" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$py" "lm_eval[api,ifeval]==$version"
fi
export PYTHONPATH="$py" NLTK_DATA="$data/data/ifbench/nltk_data" HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1
gemma="${CARGO_TARGET_DIR:-$root/target}/release/gemma"
[ -x "$gemma" ] || { echo "build gemma first: cargo build --release -p gemma" >&2; exit 1; }

work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill -TERM "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# lm-eval's IFEval task file, reading the shared input_data.jsonl instead of google/IFEval.
tasks="$work/tasks"
mkdir -p "$tasks"
cp "$py/lm_eval/tasks/ifeval/utils.py" "$tasks/"
sed -e 's/^task: ifeval$/task: ifeval_local/' \
  -e "s#^dataset_path: google/IFEval\$#dataset_path: json\ndataset_kwargs:\n  data_files:\n    train: $data/data/ifeval/input_data.jsonl#" \
  "$py/lm_eval/tasks/ifeval/ifeval.yaml" > "$tasks/ifeval_local.yaml"

port=18095
"$gemma" serve --port "$port" "$@" &
server=$!
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "gemma serve exited" >&2; exit 1; }
  sleep 0.5
done
python3 -m lm_eval --model local-completions \
  --model_args "model=gemma-3-270m,base_url=http://127.0.0.1:$port/v1/completions,num_concurrent=16,max_retries=1,tokenizer_backend=remote,tokenized_requests=False" \
  --tasks ifeval_local --include_path "$tasks" --limit "$limit" \
  --gen_kwargs "max_gen_toks=$gen" --output_path runs/lm-eval --log_samples
