#!/usr/bin/env bash
# Sets up (packages + build) and runs the whole test suite: Catch2 unit tests
# and the integration scripts that drive real umoci, skopeo, docker-registry.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
