#!/usr/bin/env bash
# Installs the Debian 12 packages the aligner needs to build and test, if any
# are missing. Needs root (or sudo) only when something must be installed.
# --ci adds what .ci/run's sanitizer and fuzzing stages use: clang with its
# libFuzzer and sanitizer runtimes.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libboost-iostreams-dev libboost-program-options-dev
  libboost-mpi-dev libopenmpi-dev openmpi-bin
  libtbb-dev libabsl-dev zlib1g-dev libzstd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-pybind11 python3-dev
  gzip zstd time procps  # procps: pgrep, for the aligner-mpi killed-rank test
  clang-format
  chromium python3  # the browser test of `aligner view` (tests/view_browser_test.py)
  python3-numpy     # scripts/generate_corpus.py (the synthetic corpus test)
)
if [[ "${1:-}" == --ci ]]; then packages+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
