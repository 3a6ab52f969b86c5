#!/usr/bin/env bash
# Optional: llama.cpp's own command-line tools (llama-batched-bench, llama-bench,
# llama-perplexity, llama-quantize, llama-server) for `gemma bench --engine` and the server bench, built with cmake from the `vendor/llama.cpp`
# tree of the llama-cpp-python sdist, into .cache/llama.cpp/bin. About 10 minutes on 2 cores.
# Idempotent.
#   usage: scripts/install-llama-cpp-tools.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/llama.cpp"
version=0.3.36
tools=(llama-batched-bench llama-bench llama-perplexity llama-quantize llama-server)
present=1
for t in "${tools[@]}"; do [ -x "$dest/bin/$t" ] || present=0; done
if [ "$present" = 1 ] && [ "$(cat "$dest/version" 2>/dev/null)" = "$version" ]; then
  echo "llama.cpp tools (llama-cpp-python $version): $dest/bin (present)"; exit 0
fi
command -v cmake >/dev/null || { echo "needs cmake (apt-get install cmake)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  -d "$work" "llama-cpp-python==$version"
tar -xzf "$work"/llama_cpp_python-"$version".tar.gz -C "$work"
src="$work/llama_cpp_python-$version/vendor/llama.cpp"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >/dev/null
cmake --build "$work/build" -j "$(nproc)" --target "${tools[@]}" >/dev/null
mkdir -p "$dest/bin"
for t in "${tools[@]}"; do cp "$work/build/bin/$t" "$dest/bin/"; done
echo "$version" > "$dest/version"
echo "llama.cpp tools ready in $dest/bin: ${tools[*]}"
