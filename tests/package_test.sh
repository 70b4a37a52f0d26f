#!/usr/bin/env bash
# Installs the built aligner into a fresh prefix, then builds and tests a
# project outside the tree that uses it with find_package(aligner) and
# aligner::aligner (tests/package/).
#   tests/package_test.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1 work=$2
src=$(cd "$(dirname "$0")/package" && pwd)
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
"$work/prefix/bin/aligner" --version | grep -q '^aligner [0-9]'
test -f "$work/prefix/share/man/man1/aligner.1"
# The Python module, when built: importable from the documented place,
# PREFIX/<ALIGNER_PYTHON_INSTALL_DIR> (lib/python3.X/dist-packages on Debian).
if compgen -G "$build/python/aligner*.so" >/dev/null; then
  cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
  site=$work/prefix/$(cache ALIGNER_PYTHON_INSTALL_DIR)
  (cd "$work" && PYTHONPATH=$site "$(cache Python_EXECUTABLE)" -c \
    "import aligner, sys; assert aligner.__file__.startswith(sys.argv[1]), aligner.__file__" "$site")
fi
cmake -S "$src" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j 2 >/dev/null
ctest --test-dir "$work/build" --output-on-failure
