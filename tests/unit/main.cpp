// The Catch2 runner for all unit tests (tests/unit/test_<folder>_<file>.cpp).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
