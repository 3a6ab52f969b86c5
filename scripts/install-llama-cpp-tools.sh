#!/usr/bin/env bash
# llama.cpp, the anchor: its command-line tools (llama-batched-bench, llama-bench,
# llama-perplexity, llama-quantize, llama-server) into .cache/llama.cpp/bin, and its Python
# binding (llama-cpp-python, for `gemma bench --vs-llama-cpp` and the logit tests) into
# .cache/llama-cpp-python, both on one cmake build of the `vendor/llama.cpp` tree of the
# llama-cpp-python sdist (shared libraries in .cache/llama.cpp/lib). About 10 minutes on 2 cores.
# Idempotent.
#   usage: scripts/install-llama-cpp-tools.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/llama.cpp"
py="$root/.cache/llama-cpp-python"
version=0.3.36
# ggml's AMX kernels segfault in a batched forward of this model on Sapphire Rapids (seen
# 2026-12-04, ggml-org/llama.cpp#20824), so the build leaves AMX out; the stamp says so, and an
# install from before is rebuilt.
build="$version, no AMX"
amx_off=()
if [ "$(uname -m)" = x86_64 ]; then
  flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  amx_off=("-DCMAKE_C_FLAGS=$flags" "-DCMAKE_CXX_FLAGS=$flags")
fi
tools=(llama-batched-bench llama-bench llama-perplexity llama-quantize llama-server)
# The binding's own dependencies (pyproject.toml of the sdist), pinned.
py_deps=(numpy==2.2.6 typing-extensions==4.15.0 diskcache==5.6.3 jinja2==3.1.6)
present=1
for t in "${tools[@]}"; do [ -x "$dest/bin/$t" ] || present=0; done
[ "$(cat "$dest/version" 2>/dev/null)" = "$build" ] || present=0
PYTHONPATH="$py" python3 -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$version')" \
  2>/dev/null || present=0
if [ "$present" = 1 ]; then
  echo "llama.cpp (llama-cpp-python $build): tools in $dest/bin, binding in $py (present)"; exit 0
fi
command -v cmake >/dev/null || { echo "needs cmake (apt-get install cmake)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  -d "$work" "llama-cpp-python==$version"
tar -xzf "$work"/llama_cpp_python-"$version".tar.gz -C "$work"
sdist="$work/llama_cpp_python-$version"
# Shared libraries, so the binding loads the very code the tools run; each finds them in ../lib.
cmake -S "$sdist/vendor/llama.cpp" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
  -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN/../lib' \
  "${amx_off[@]}" >/dev/null
# The compiler's warnings go to a log, shown only if the build fails.
cmake --build "$work/build" -j "$(nproc)" --target llama "${tools[@]}" >"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log" >&2; exit 1; }
rm -rf "$dest" "$py"
mkdir -p "$dest/bin" "$dest/lib"
for t in "${tools[@]}"; do cp "$work/build/bin/$t" "$dest/bin/"; done
cp -P "$work"/build/bin/lib*.so* "$dest/lib/"
python3 -m pip install --quiet --disable-pip-version-check --target "$py" "${py_deps[@]}"
cp -r "$sdist/llama_cpp" "$py/"
# The binding looks for its libraries in llama_cpp/lib, and they for each other in ../lib.
mkdir -p "$py/llama_cpp/lib"
cp -P "$dest"/lib/lib*.so* "$py/llama_cpp/lib/"
echo "$build" > "$dest/version"
PYTHONPATH="$py" python3 -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__, 'ready in $py')"
echo "llama.cpp tools ready in $dest/bin: ${tools[*]}"
