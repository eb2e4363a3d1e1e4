// The Catch2 runner for the tests that drive real peers (skopeo, umoci,
// podman, Go, a live docker-registry) from C++: registered with CTest as
// "integration: peers: ...", so the unit tests need none of them.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
