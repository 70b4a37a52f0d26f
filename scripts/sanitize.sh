#!/usr/bin/env bash
# Builds the test suite under sanitizers and runs it; exits non-zero on any
# test failure or sanitizer report.
#
#   scripts/sanitize.sh [address|thread|all]     (default: all)
#
#   address  AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer),
#            build-asan/, the whole CTest suite. Every sanitizer is fatal
#            (-fno-sanitize-recover=all, halt_on_error=1).
#   thread   ThreadSanitizer, build-tsan/, the tests that run the parallel
#            E-step, the parallel decoder or threads of their own (see
#            TSAN_TESTS below; TSAN_TESTS=. runs everything).
#
# Environment: CXX (default clang++ if installed, else g++), JOBS (build
# parallelism, default 2), CTEST_JOBS (default 2).
#
# Sanitizer reports are also written to <build dir>/sanitizer-logs/, so that a
# report from a child process (the CLI run by the tests) fails the run even
# when the test only looked at the child's exit code. Sanitizers exit with
# code 66, distinct from the tool's own exit codes 1 and 2.
#
# TBB: libtbb is not built with ThreadSanitizer, so TSan cannot see the
# synchronization inside its scheduler; scripts/tsan.supp lists the resulting
# false positives (and only those).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=${1:-all}
case "$mode" in
  address|thread|all) ;;
  -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
  *) echo "usage: $0 [address|thread|all]" >&2; exit 2 ;;
esac

if [[ -z "${CXX:-}" ]]; then
  if command -v clang++ >/dev/null; then CXX=clang++; else CXX=g++; fi
fi
if [[ "$CXX" == *clang* ]]; then CC=${CC:-clang}; else CC=${CC:-gcc}; fi
JOBS=${JOBS:-2}
CTEST_JOBS=${CTEST_JOBS:-2}
# Tests that exercise threads: the parallel E-step and M-step (EM trainer,
# models, translation table), the parallel decoder, the concurrent corpus
# reader, the thread-count properties and the CLI's --threads runs.
TSAN_TESTS=${TSAN_TESTS:-'EmTrainer|Property|Model|Hmm|Diagonal|Decod|TranslationTable|ReadCorpus|ExpectedCounts|Training|ThreadCount'}

status=0

# build <dir> <sanitizers>
build() {
  local dir=$1 sanitizers=$2
  echo "== configure $dir ($CXX, -fsanitize=$sanitizers)"
  CC=$CC CXX=$CXX cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DALIGNER_SANITIZE="$sanitizers" -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=all" \
    -DALIGNER_BUILD_TESTS=ON -DALIGNER_BUILD_FUZZERS=OFF >/dev/null
  echo "== build $dir"
  nice -n 10 cmake --build "$dir" -j "$JOBS"
}

# check_logs <dir>: fails if any sanitizer wrote a report.
check_logs() {
  local logs=$1/sanitizer-logs
  if compgen -G "$logs/*" >/dev/null; then
    echo "!! sanitizer reports in $logs:" >&2
    for f in "$logs"/*; do echo "--- $f" >&2; head -60 "$f" >&2; done
    return 1
  fi
  return 0
}

run_address() {
  local dir=build-asan start=$SECONDS
  build "$dir" address,undefined
  rm -rf "$dir/sanitizer-logs" && mkdir -p "$dir/sanitizer-logs"
  echo "== ctest $dir (AddressSanitizer + UndefinedBehaviorSanitizer)"
  local rc=0
  ASAN_OPTIONS="halt_on_error=1:exitcode=66:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1:log_path=$root/$dir/sanitizer-logs/asan" \
  UBSAN_OPTIONS="halt_on_error=1:exitcode=66:print_stacktrace=1:log_path=$root/$dir/sanitizer-logs/ubsan" \
  LSAN_OPTIONS="exitcode=66" \
    nice -n 10 ctest --test-dir "$dir" --output-on-failure -j "$CTEST_JOBS" --timeout 900 || rc=1
  check_logs "$dir" || rc=1
  echo "== address: $([[ $rc == 0 ]] && echo clean || echo FAILED) in $((SECONDS - start))s"
  return $rc
}

run_thread() {
  local dir=build-tsan start=$SECONDS
  build "$dir" thread
  rm -rf "$dir/sanitizer-logs" && mkdir -p "$dir/sanitizer-logs"
  echo "== ctest $dir (ThreadSanitizer; tests matching '$TSAN_TESTS')"
  local rc=0
  TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:history_size=4:suppressions=$root/scripts/tsan.supp:log_path=$root/$dir/sanitizer-logs/tsan" \
    nice -n 10 ctest --test-dir "$dir" --output-on-failure -j "$CTEST_JOBS" --timeout 1800 \
      -R "$TSAN_TESTS" || rc=1
  check_logs "$dir" || rc=1
  echo "== thread: $([[ $rc == 0 ]] && echo clean || echo FAILED) in $((SECONDS - start))s"
  return $rc
}

if [[ "$mode" == address || "$mode" == all ]]; then run_address || status=1; fi
if [[ "$mode" == thread || "$mode" == all ]]; then run_thread || status=1; fi
exit $status
