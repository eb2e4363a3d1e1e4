// The build pipeline as one call: manifest -> trace -> rootfs -> layer ->
// OCI layout. `build` and `verify` both use it; the CLI only adds flags and
// output. Nothing is left at `output` unless the whole build succeeded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <slimbuild/image/layout.hpp>

namespace slimbuild::build {

namespace fs = std::filesystem;

struct BuildOptions {
  fs::path manifest;
  fs::path output;                       // OCI layout directory (replaced atomically)
  std::optional<int64_t> source_date_epoch;  // explicit; otherwise SOURCE_DATE_EPOCH / git / 0
  std::optional<std::string> tag;        // overrides the manifest's image: for the ref name
};

struct BuildResult {
  fs::path layout;                 // == options.output
  std::string ref_name;            // org.opencontainers.image.ref.name in index.json
  image::Descriptor manifest;      // the image manifest descriptor (digest printed last)
  std::string config_digest;
  std::string layer_digest;        // gzip blob
  std::string diff_id;             // uncompressed tar
  uint64_t layer_size = 0;
  uint64_t file_count = 0;
};

BuildResult build_image(const BuildOptions& options);

}  // namespace slimbuild::build
