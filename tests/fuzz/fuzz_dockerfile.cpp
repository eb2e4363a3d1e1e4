// Fuzz target: `init --from-dockerfile` on arbitrary text - the lexer, the
// translation and the YAML emitter. A Dockerfile may be refused with an
// Error; when a starter comes out, its text must be YAML whose name and
// binary read back as the starter holds them (quoting can never be fooled).
#include <cstdlib>

#include <yaml-cpp/yaml.h>

#include <slimbuild/init/dockerfile.hpp>
#include <slimbuild/init/manifest_writer.hpp>
#include <slimbuild/init/translate.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slimbuild;
  fuzz::expect_only_errors([&] {
    init::Dockerfile d = init::parse_dockerfile(fuzz::as_view(data, size));
    init::TranslateOptions o;
    o.context_dir = "/proj";
    o.manifest_dir = "/proj";
    init::Starter s = init::translate(d, o);
    std::string text = init::write_manifest(s);
    YAML::Node doc = YAML::Load(text);
    if (doc["name"].as<std::string>() != s.name || doc["binary"]["path"].as<std::string>() != s.binary_path ||
        doc["binary"]["dest"].as<std::string>() != s.binary_dest)
      std::abort();
  });
  return 0;
}
