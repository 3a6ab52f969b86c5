#!/usr/bin/env bash
# A lean CPU-only libtorch 2.9.0 (what burn-tch 0.22 / torch-sys 0.22 need), assembled from PyPI
# wheels: PyPI ships only the CUDA build of torch, whose libtorch.so needs libtorch_cuda.so, so we
# keep libtorch_cpu + libc10 and link a stub libtorch.so against them. Idempotent.
#   usage: scripts/fetch-libtorch.sh [DEST]   (default: <repo>/.cache/libtorch)
# Then build with LIBTORCH=DEST (the model crate's build.rs adds an rpath, so no LD_LIBRARY_PATH).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/.cache/libtorch}
if [ -f "$dest/build-version" ] && [ -f "$dest/lib/libtorch_cpu.so" ]; then
  echo "libtorch: $dest (present)"; exit 0
fi
dl="$root/.cache/libtorch-dl"
mkdir -p "$dl" "$dest/lib"
echo "libtorch: downloading torch 2.9.0 wheels (about 900 MB) into $dl"
python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$dl" \
  torch==2.9.0 nvidia-cuda-runtime-cu12==12.8.90 nvidia-cuda-cupti-cu12==12.8.90
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
unzip -q -o "$dl"/torch-2.9.0-*.whl 'torch/include/*' 'torch/lib/libtorch_cpu.so' 'torch/lib/libc10.so' 'torch/lib/libgomp*' -d "$tmp"
unzip -q -o "$dl"/nvidia_cuda_runtime_cu12-*.whl 'nvidia/cuda_runtime/lib/*' -d "$tmp"
unzip -q -o "$dl"/nvidia_cuda_cupti_cu12-*.whl 'nvidia/cuda_cupti/lib/*' -d "$tmp"
rm -rf "$dest/include"; mv "$tmp/torch/include" "$dest/include"
cp "$tmp"/torch/lib/* "$tmp"/nvidia/cuda_runtime/lib/libcudart.so.12 "$tmp"/nvidia/cuda_cupti/lib/libcupti.so.12 "$dest/lib/"
echo 'void tch_cpu_stub(void){}' > "$tmp/stub.c"
gcc -shared -fPIC -o "$dest/lib/libtorch.so" "$tmp/stub.c" -Wl,--no-as-needed -L"$dest/lib" -ltorch_cpu -lc10 -Wl,-rpath,'$ORIGIN'
printf '2.9.0' > "$dest/build-version"
rm -rf "$dl"
echo "libtorch: $dest (ready; build with LIBTORCH=$dest)"
