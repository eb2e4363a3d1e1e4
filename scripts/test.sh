#!/usr/bin/env bash
# Sets up (packages + build) and runs the whole test suite: the Catch2 unit
# tests and the integration scripts that drive real umoci, skopeo,
# docker-registry. First it runs the sanitizer half (scripts/sanitize.sh:
# the unit tests under ASan+UBSan and each libFuzzer target for
# SLIMBUILD_FUZZ_SECONDS, in build-asan/; SLIMBUILD_SANITIZE=0 skips it); a
# failure there is reported and fails the run, and the main ctest's summary
# stays the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
export SLIMBUILD_SANITIZE=${SLIMBUILD_SANITIZE:-1}
scripts/setup.sh
san_rc=0
if [[ ${SLIMBUILD_SANITIZE:-0} == 1 ]]; then
  scripts/sanitize.sh > build-sanitize.log 2>&1 || san_rc=$?
  grep -E 'tests passed|tests failed|\*\*\*' build-sanitize.log | tail -20 || true
  ((san_rc == 0)) || { tail -60 build-sanitize.log >&2; echo "test: the sanitizer/fuzz run FAILED (exit $san_rc); log: $(pwd)/build-sanitize.log" >&2; }
fi
cd build
rc=0
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@" || rc=$?
exit $((rc != 0 ? rc : san_rc))
