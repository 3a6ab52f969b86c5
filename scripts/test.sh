#!/usr/bin/env bash
# The whole test suite, with everything it needs installed first: the Debian packages (Mesa's
# Vulkan driver, so wgpu runs on the CPU), the real weights and tokenizer, a CPU libtorch for
# the tch backend, the openai Python client, and llama.cpp (its tools and Python binding). Then
# the tests in release mode: the default backends (flex, ndarray, wgpu) plus tch. Idempotent;
# extra arguments go to `cargo test` (e.g. `-p eval`).
#   usage: scripts/test.sh [CARGO TEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh fetch test
bash scripts/fetch-model.sh
bash scripts/fetch-libtorch.sh
# The official OpenAI client, which the server test drives (pinned; into .cache/python).
openai_version=2.54.0
if [ ! -d ".cache/python/openai-$openai_version.dist-info" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --upgrade --target .cache/python \
    "openai==$openai_version"
fi
# llama.cpp's own tools and Python binding: llama-quantize is the oracle of the Q8_0/Q4_0
# quantizer tests, and its logits (llama-cpp-python) that of the as-shipped logit test.
bash scripts/install-llama-cpp-tools.sh
# Mesa's Vulkan loader warns without a runtime dir.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ]; then
  export XDG_RUNTIME_DIR=$(mktemp -d)
  chmod 700 "$XDG_RUNTIME_DIR"
fi
exec cargo test --release --workspace --features model/tch "$@"
