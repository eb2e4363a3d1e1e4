// `compression: gzip | zstd` or `compression: {algorithm: gzip|zstd, level: N}`.
// The level ranges are the compressors' own (gzip 0..9, zstd 1..19); they
// are checked here so a wrong one is reported at its line and column.
#include <slimbuild/manifest/manifest.hpp>

#include "manifest/keys.hpp"
#include "manifest/sections.hpp"

namespace slimbuild::manifest {

namespace {

struct LevelRange {
  int min, max;
};

std::optional<LevelRange> level_range(const std::string& algorithm) {
  if (algorithm == "gzip") return LevelRange{0, 9};
  if (algorithm == "zstd") return LevelRange{1, 19};
  return std::nullopt;
}

bool read_algorithm(const YamlNode& node, std::string_view what, CompressionSpec& spec, Diagnostics& diag) {
  auto text = read_string(node, what, diag);
  if (!text) return false;
  if (!level_range(*text)) {
    diag.error(node, std::string(what) + " must be gzip or zstd, not '" + *text + "'",
               "gzip is read by every tool; zstd is smaller and faster but needs newer readers");
    return false;
  }
  spec.algorithm = *text;
  return true;
}

}  // namespace

std::optional<CompressionSpec> read_compression(const YamlNode& node, Diagnostics& diag) {
  CompressionSpec spec;
  spec.where = diag.at(node);
  if (node.kind == YamlNode::Kind::Scalar) {
    if (!read_algorithm(node, "compression", spec, diag)) return std::nullopt;
    return spec;
  }
  if (node.kind != YamlNode::Kind::Mapping) {
    wrong_type(node, "compression", "gzip, zstd or a mapping {algorithm, level}", diag,
               "e.g. compression: {algorithm: zstd, level: 9}");
    return std::nullopt;
  }
  Fields fields(node, "compression", keys::kCompression, diag);
  if (const YamlNode* a = fields.get("algorithm"))
    if (!read_algorithm(*a, "compression.algorithm", spec, diag)) return std::nullopt;
  if (const YamlNode* l = fields.get("level")) {
    auto level = as_integer(*l);
    LevelRange range = *level_range(spec.algorithm);
    if (!level) {
      wrong_type(*l, "compression.level", "an integer", diag);
      return std::nullopt;
    }
    if (*level < range.min || *level > range.max) {
      diag.error(*l, "compression.level " + std::to_string(*level) + " is out of range for " + spec.algorithm,
                 "use " + std::to_string(range.min) + " to " + std::to_string(range.max) + " (higher is smaller and slower)");
      return std::nullopt;
    }
    spec.level = static_cast<int>(*level);
  }
  return spec;
}

}  // namespace slimbuild::manifest
