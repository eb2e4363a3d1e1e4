// Fuzz target: reading a foreign image's JSON (index.json, the image
// manifest, the config) the way `inspect` does. The input is three documents
// separated by a line "----"; "@MANIFEST@"/"@CONFIG@" in them become the real
// digest of the manifest/config document and "@MSIZE@"/"@CSIZE@" their
// sizes, so the fuzzer gets past digest checks to the structure behind them.
#include <slimbuild/inspect/image_source.hpp>
#include <slimbuild/inspect/inspect.hpp>
#include <slimbuild/util/sha256.hpp>

#include "fuzz_support.hpp"

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slimbuild;
  fuzz::fresh_scratch();
  std::string input(fuzz::as_view(data, size));
  std::string docs[3];
  for (int i = 0; i < 3; ++i) {
    auto sep = input.find("\n----\n");
    docs[i] = input.substr(0, sep);
    input = sep == std::string::npos ? std::string() : input.substr(sep + 6);
  }
  std::string& index = docs[0];
  std::string& manifest = docs[1];
  const std::string& config = docs[2];
  const std::string config_digest = util::sha256_digest(config);
  manifest = replace_all(replace_all(manifest, "@CONFIG@", config_digest), "@CSIZE@", std::to_string(config.size()));
  const std::string manifest_digest = util::sha256_digest(manifest);
  index = replace_all(replace_all(index, "@MANIFEST@", manifest_digest), "@MSIZE@", std::to_string(manifest.size()));

  const auto layout = fuzz::scratch_dir() / "layout";
  fuzz::write_bytes(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  fuzz::write_bytes(layout / "index.json", index);
  fuzz::write_bytes(layout / "blobs" / "sha256" / manifest_digest.substr(7), manifest);
  fuzz::write_bytes(layout / "blobs" / "sha256" / config_digest.substr(7), config);
  fuzz::expect_only_errors([&] {
    inspect::OpenedImage image;
    image.spec = layout.string();
    image.layout = layout;
    inspect::InspectOptions options;
    options.trace_libraries = false;
    auto report = inspect::inspect_image(image, options);
    (void)inspect::inspect_text(report);
  });
  return 0;
}
