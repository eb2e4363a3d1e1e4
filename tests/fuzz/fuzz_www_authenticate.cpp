// Fuzz target: what a registry's headers and error bodies feed us:
// WWW-Authenticate challenges, Retry-After, and the error JSON we describe.
#include <chrono>

#include <slimbuild/registry/auth_challenge.hpp>
#include "registry/registry_error.hpp"
#include <slimbuild/registry/retry_policy.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slimbuild;
  std::string text(fuzz::as_view(data, size));
  fuzz::expect_only_errors([&] {
    auto challenges = registry::parse_www_authenticate(text);
    if (challenges)
      for (const auto& c : *challenges) (void)c.param("realm");
    (void)registry::parse_retry_after(text, std::chrono::system_clock::now());
    (void)registry::describe_registry_error(text);
  });
  return 0;
}
