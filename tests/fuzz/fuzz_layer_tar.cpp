// Fuzz target: reading a layer blob (tar, optionally gzip/zstd/...) into the
// file map that diff/verify/inspect use: headers, pax extensions, whiteouts,
// links. The blob's digest is computed from the input so the check passes.
#include <slimbuild/inspect/image_files.hpp>
#include <slimbuild/util/sha256.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slimbuild;
  const std::string_view bytes = fuzz::as_view(data, size);
  const auto blob = fuzz::scratch_dir() / "layer";
  fuzz::write_bytes(blob, bytes);
  fuzz::expect_only_errors([&] {
    inspect::ImageFiles files;
    inspect::apply_layer(blob, util::sha256_digest(std::string(bytes)), files);
    for (const auto& [path, f] : files) (void)inspect::mode_string(f.mode);
  });
  return 0;
}
