// Explaining why two images differ, down to the file: config and annotation
// fields, and for the layer(s) every path added, removed, or changed in
// content, mode, owner, link target, type or time. Reads layers as streams.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace slimbuild::inspect {

namespace fs = std::filesystem;

// What differs; to_string gives the word `diff`/`verify` print and put in
// their JSON ("added", "removed", "content", ...).
// Platform: an image that only one side's index has.
enum class DifferenceKind { Added, Removed, Content, Mode, Owner, Link, Type, Mtime, Config, Annotation, Manifest, Platform };
std::string_view to_string(DifferenceKind kind);

struct Difference {
  DifferenceKind kind = DifferenceKind::Content;
  std::string path;    // image path, or JSON field path for config/annotation ("config.Env")
  std::string before;  // human-readable old value ("" for added)
  std::string after;   // new value ("" for removed)
  std::string platform = {};  // "linux/arm64/v8" when comparing image indexes, else ""
};

struct ImageComparison {
  std::string digest_a, digest_b;
  bool identical = false;
  std::vector<Difference> differences;
  // When every difference is a timestamp (file mtimes, "created" fields and
  // what follows from them: history, diff_ids), the inputs are the same and
  // the images were built at different SOURCE_DATE_EPOCHs: returns A's epoch.
  std::optional<std::string> only_timestamps_differ() const;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// Both sides are OCI layouts on disk (REFs and archives are first fetched or
// unpacked into temporary layouts by the caller). `ref_*` pick the image.
ImageComparison compare_layouts(const fs::path& a, const std::string& ref_a, const fs::path& b,
                                const std::string& ref_b);

struct CompareOptions {
  // Judge only config and layers: for a docker-archive side, whose format
  // keeps neither the manifest nor its annotations (so its digest differs).
  bool content_only = false;
};
ImageComparison compare_layouts(const fs::path& a, const std::string& ref_a, const fs::path& b,
                                const std::string& ref_b, const CompareOptions& options);

}  // namespace slimbuild::inspect
