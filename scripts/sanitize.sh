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
#            E-step, the parallel decoder or threads of their own (the
#            TSAN_TESTS pattern below; TSAN_TESTS=. runs everything, which
#            takes far longer than the ~6 minutes of the subset on 2 cores).
#
# Environment: CXX (default clang++ if installed, else g++), JOBS (build
# parallelism, default 2), CTEST_JOBS (default 2).
#
# Sanitizer reports are also written to <build dir>/sanitizer-logs/, so that a
# report from a child process (the CLI run by the tests) fails the run even
# when the test only looked at the child's exit code. Sanitizers exit with
# code 66, distinct from the tool's own exit codes 1 and 2.
#
# TBB and ThreadSanitizer: Debian's libtbb.so is not instrumented, so TSan
# cannot see the synchronization inside TBB's scheduler and reports nearly
# every handoff between the main thread and TBB's workers as a race (over a
# thousand reports in one run of the E-step tests; no suppression list can
# remove them without hiding real races in the aligner's own loops). So the
# thread mode builds TBB itself with -fsanitize=thread, once, into
# build-tsan/tbb-tsan: from the source of the installed libtbb package
# (fetched with apt-get source through a private deb-src list; system apt
# state is untouched), or from TSAN_TBB_SOURCE=<unpacked oneTBB source>, or
# use TSAN_TBB_DIR=<dir with TBBConfig.cmake> to skip the build.
# scripts/tsan.supp is passed too; with the instrumented TBB it is empty.
#
# The Python module is not built here (-DALIGNER_BUILD_PYTHON=OFF; CMake also
# turns it off under ALIGNER_SANITIZE), so the python_module test is not in
# these runs: an instrumented extension loads only into a python started with
# the sanitizer runtime in LD_PRELOAD, and LeakSanitizer then reports the
# interpreter's own allocations. The regular build's CTest runs that test.
#
# The aligner-mpi tests are left out of the thread mode: Open MPI is not
# instrumented either (its own threads would be reported), and each rank
# runs one thread there. In the address mode they run with leak detection
# off (see run_address).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=${1:-all}
case "$mode" in
  address|thread|all) ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: $0 [address|thread|all]" >&2; exit 2 ;;
esac

if [[ -z "${CXX:-}" ]]; then
  if command -v clang++ >/dev/null; then CXX=clang++; else CXX=g++; fi
fi
if [[ "$CXX" == *clang* ]]; then CC=${CC:-clang}; else CC=${CC:-gcc}; fi
JOBS=${JOBS:-2}
CTEST_JOBS=${CTEST_JOBS:-2}
# aligner-mpi's tests (run by mpirun).
MPI_TESTS='AlignerMpiTest|mpi_unit_tests'
# Tests that exercise threads: the parallel E-step and M-step (EM trainer,
# models, translation table), the parallel decoder, the concurrent corpus
# reader, the agreement trainer, the pipelined block writer, the thread-count
# properties and the CLI's --threads runs.
TSAN_TESTS=${TSAN_TESTS:-'EmTrainer|AgreementTrainer|OrderedBlocks|Property|Model|Hmm|Diagonal|Decod|TranslationTable|ReadCorpus|ExpectedCounts|Training|ThreadCount'}

status=0

# build <dir> <sanitizers> [extra cmake arguments]
build() {
  local dir=$1 sanitizers=$2
  shift 2
  echo "== configure $dir ($CXX, -fsanitize=$sanitizers)"
  CC=$CC CXX=$CXX cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DALIGNER_SANITIZE="$sanitizers" -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=all" \
    -DALIGNER_BUILD_TESTS=ON -DALIGNER_BUILD_FUZZERS=OFF -DALIGNER_BUILD_PYTHON=OFF "$@" \
    >/dev/null || return 1
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
  # A failed build fails the stage (set -e does not reach into a function
  # called under ||), and so does a run that finds no test.
  build "$dir" address,undefined || { echo "!! build of $dir failed" >&2; return 1; }
  rm -rf "$dir/sanitizer-logs" && mkdir -p "$dir/sanitizer-logs"
  echo "== ctest $dir (AddressSanitizer + UndefinedBehaviorSanitizer)"
  local rc=0
  ASAN_OPTIONS="halt_on_error=1:exitcode=66:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1:log_path=$root/$dir/sanitizer-logs/asan" \
  UBSAN_OPTIONS="halt_on_error=1:exitcode=66:print_stacktrace=1:log_path=$root/$dir/sanitizer-logs/ubsan" \
  LSAN_OPTIONS="exitcode=66" \
    nice -n 10 ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$CTEST_JOBS" --timeout 900 -E "$MPI_TESTS" || rc=1
  # The MPI tests with leak detection off: Open MPI keeps allocations to the
  # end of the process in modules it has unloaded by then, which no
  # suppression can name. AddressSanitizer and UBSan still check them.
  ASAN_OPTIONS="halt_on_error=1:exitcode=66:detect_leaks=0:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1:log_path=$root/$dir/sanitizer-logs/asan" \
  UBSAN_OPTIONS="halt_on_error=1:exitcode=66:print_stacktrace=1:log_path=$root/$dir/sanitizer-logs/ubsan" \
    nice -n 10 ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$CTEST_JOBS" --timeout 900 -R "$MPI_TESTS" || rc=1
  check_logs "$dir" || rc=1
  echo "== address: $([[ $rc == 0 ]] && echo clean || echo FAILED) in $((SECONDS - start))s"
  return $rc
}

# Prints the directory of a TSan-instrumented TBB's TBBConfig.cmake, building
# it first if needed (see the top of this file).
tsan_tbb() {
  local prefix=$root/build-tsan/tbb-tsan
  if [[ -n "${TSAN_TBB_DIR:-}" ]]; then echo "$TSAN_TBB_DIR"; return 0; fi
  if [[ -f "$prefix/lib/cmake/TBB/TBBConfig.cmake" ]]; then
    echo "$prefix/lib/cmake/TBB"; return 0
  fi
  local work=$root/build-tsan/tbb-work source=${TSAN_TBB_SOURCE:-} start=$SECONDS
  mkdir -p "$work"
  if [[ -z "$source" ]]; then
    echo "== fetching the source of the installed libtbb for a TSan build of TBB" >&2
    local package version codename apt_opts
    package=$(dpkg-query -W -f='${source:Package}' libtbb-dev)
    version=$(dpkg-query -W -f='${source:Version}' libtbb-dev)
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    mkdir -p "$work/apt/lists/partial" "$work/download"
    printf 'deb-src http://deb.debian.org/debian %s main\ndeb-src http://deb.debian.org/debian-security %s-security main\n' \
      "$codename" "$codename" > "$work/apt/sources.list"
    apt_opts=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
              -o "Dir::State::Lists=$work/apt/lists")
    apt-get "${apt_opts[@]}" update >&2
    (cd "$work/download" && apt-get "${apt_opts[@]}" source --download-only "$package=$version") >&2
    rm -rf "$work/src" && mkdir -p "$work/src"
    tar -xf "$work"/download/"${package}"_*.orig.tar.* -C "$work/src" --strip-components=1
    source=$work/src
  fi
  echo "== building TBB with -fsanitize=thread into $prefix" >&2
  CC=$CC CXX=$CXX cmake -S "$source" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF -DTBBMALLOC_BUILD=OFF \
    -DTBB_ENABLE_IPO=OFF -DCMAKE_INSTALL_PREFIX="$prefix" >&2
  nice -n 10 cmake --build "$work/build" -j "$JOBS" >&2
  cmake --install "$work/build" >&2
  echo "== TBB with -fsanitize=thread fetched and built in $((SECONDS - start))s" >&2
  echo "$prefix/lib/cmake/TBB"
}

run_thread() {
  local dir=build-tsan start=$SECONDS tbb_dir
  tbb_dir=$(tsan_tbb) || { echo "!! could not build a TSan-instrumented TBB (set TSAN_TBB_SOURCE or TSAN_TBB_DIR)" >&2; return 1; }
  build "$dir" thread -DTBB_DIR="$tbb_dir" || { echo "!! build of $dir failed" >&2; return 1; }
  rm -rf "$dir/sanitizer-logs" && mkdir -p "$dir/sanitizer-logs"
  echo "== ctest $dir (ThreadSanitizer; tests matching '$TSAN_TESTS')"
  local rc=0
  TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:history_size=4:suppressions=$root/scripts/tsan.supp:log_path=$root/$dir/sanitizer-logs/tsan" \
    nice -n 10 ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$CTEST_JOBS" --timeout 1800 \
      -R "$TSAN_TESTS" -E "$MPI_TESTS" || rc=1
  check_logs "$dir" || rc=1
  echo "== thread: $([[ $rc == 0 ]] && echo clean || echo FAILED) in $((SECONDS - start))s"
  return $rc
}

if [[ "$mode" == address || "$mode" == all ]]; then run_address || status=1; fi
if [[ "$mode" == thread || "$mode" == all ]]; then run_thread || status=1; fi
exit $status
