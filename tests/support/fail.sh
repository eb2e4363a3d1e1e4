# fail and skip for every shell test and helper (sourced by
# tests/integration/lib.sh and tests/support/registry/lib.sh): one way to end
# a test, named after the script when lib.sh set SB_TEST_NAME.
# shellcheck shell=bash

# fail MESSAGE: the test failed (exit 1).
fail() {
  echo "FAIL${SB_TEST_NAME:+ [$SB_TEST_NAME]}: $*" >&2
  exit 1
}

# skip MESSAGE: the test cannot run here (exit 77, ctest's SKIP_RETURN_CODE).
skip() {
  echo "SKIP${SB_TEST_NAME:+ [$SB_TEST_NAME]}: $*" >&2
  exit 77
}
