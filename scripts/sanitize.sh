#!/usr/bin/env bash
# The sanitizer half of the test run (called by scripts/test.sh): builds
# build-asan/ with Debian's clang-16 under AddressSanitizer + UBSan
# (cmake/sanitize.cmake), then runs there the unit tests and every libFuzzer
# target of tests/fuzz/ for SLIMBUILD_FUZZ_SECONDS each (default 15). The
# integration tests run only in the normal build (scripts/test.sh runs them
# after this). Usage: scripts/sanitize.sh [ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
export CCACHE_BASEDIR="$(pwd)" CCACHE_NOHASHDIR=true
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-16 \
  -DSLIMBUILD_SANITIZE=ON -DSLIMBUILD_FUZZ_SECONDS="${SLIMBUILD_FUZZ_SECONDS:-15}" >/dev/null
cmake --build build-asan -j "$jobs"
cd build-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure -j "$jobs" -R '^(unit|fuzz):' "$@"
