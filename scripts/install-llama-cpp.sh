#!/usr/bin/env bash
# Optional: llama-cpp-python (CPU build) for `gemma bench --vs-llama-cpp`, into a private
# venv-less prefix under .cache so nothing system-wide changes. Builds llama.cpp from the
# sdist (about 10 minutes on 2 cores). Idempotent.
#   usage: scripts/install-llama-cpp.sh   -> prints the PYTHONPATH to use (gemma bench finds it itself)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/llama-cpp-python"
version=0.3.36
if PYTHONPATH="$dest" python3 -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$version')" 2>/dev/null; then
  echo "llama-cpp-python $version: $dest (present)"; exit 0
fi
echo "llama-cpp-python $version: building into $dest"
CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_CURL=OFF" python3 -m pip install --quiet --disable-pip-version-check \
  --target "$dest" "llama-cpp-python==$version"
PYTHONPATH="$dest" python3 -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__, 'ready in $dest')"
