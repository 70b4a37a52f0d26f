#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UndefinedBehavior-
# Sanitizer) into build-fuzz/ and runs each for a while.
#
#   scripts/fuzz.sh [seconds] [target...]
#
#   seconds  how long each fuzzer runs (default 60)
#   target   which to run, by name without "_fuzzer" (default: all built):
#            corpus_reader pharaoh gold a3 compressed_reader model_file
#
# Each fuzzer starts from its seeds in fuzz/corpus/<target>/ and keeps what it
# finds in build-fuzz/fuzz-corpus/<target>/ (reused by the next run). A crash
# is saved as build-fuzz/fuzz-artifacts/<target>/crash-*; reproduce it with
#   build-fuzz/<target>_fuzzer build-fuzz/fuzz-artifacts/<target>/crash-...
# The script exits non-zero if any fuzzer found a crash, leak, sanitizer
# report or a failed check.
#
# Environment: CXX (default clang++), JOBS (build parallelism, default 2),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-max_len=8192").
# `ctest --test-dir build-fuzz -L fuzz` runs short (10 s) smoke runs instead.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if [[ "$seconds" == -h || "$seconds" == --help ]]; then awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0; fi
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds] [target...]" >&2; exit 2; }
shift || true

CXX=${CXX:-clang++}
CC=${CC:-clang}
JOBS=${JOBS:-2}
dir=build-fuzz

echo "== configure $dir"
CC=$CC CXX=$CXX cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DALIGNER_SANITIZE=address,undefined -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=all" \
  -DALIGNER_BUILD_TESTS=OFF -DALIGNER_BUILD_FUZZERS=ON >/dev/null
echo "== build $dir"
nice -n 10 cmake --build "$dir" -j "$JOBS"

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for f in "$dir"/*_fuzzer; do [[ -x "$f" ]] && targets+=("$(basename "$f" _fuzzer)"); done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
for target in "${targets[@]}"; do
  binary=$dir/${target}_fuzzer
  [[ -x "$binary" ]] || { echo "no fuzzer $binary" >&2; failed+=("$target"); continue; }
  mkdir -p "$dir/fuzz-corpus/$target" "$dir/fuzz-artifacts/$target"
  echo "== $target: ${seconds}s"
  start=$SECONDS
  # shellcheck disable=SC2086
  if nice -n 10 "$binary" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$dir/fuzz-artifacts/$target/" ${FUZZ_ARGS:-} \
      "$dir/fuzz-corpus/$target" "fuzz/corpus/$target" > "$dir/fuzz-artifacts/$target/log" 2>&1; then
    echo "   ok after $((SECONDS - start))s: $(grep -E '^stat::number_of_executed_units' \
      "$dir/fuzz-artifacts/$target/log" | awk '{print $2}') runs, corpus $(ls "$dir/fuzz-corpus/$target" | wc -l) inputs"
  else
    echo "!! $target failed after $((SECONDS - start))s; log: $dir/fuzz-artifacts/$target/log" >&2
    grep -E 'ERROR|runtime error|CHECK failed|==[0-9]+==|Test unit written' \
      "$dir/fuzz-artifacts/$target/log" | head -20 >&2 || true
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "== FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "== all fuzzers clean (${#targets[@]} targets, ${seconds}s each)"
