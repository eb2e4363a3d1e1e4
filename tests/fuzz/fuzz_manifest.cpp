// Fuzz target: the manifest loader (YAML syntax, the strict key/type checks,
// path and user validation) on arbitrary text.
#include <slimbuild/manifest/manifest.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slimbuild;
  const auto file = fuzz::scratch_dir() / "manifest.yml";
  fuzz::expect_only_errors([&] { (void)manifest::parse_manifest(std::string(fuzz::as_view(data, size)), file); });
  return 0;
}
