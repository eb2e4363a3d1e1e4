// A small local record of which repositories on a registry are known to hold
// a blob, so a push to a new repository can ask for a cross-repository mount
// instead of uploading again. Stored as JSON under
// $XDG_CACHE_HOME/slimbuild/ (default ~/.cache/slimbuild/), bounded in size,
// merged with the file on disk and written atomically. It is only a hint:
// a wrong entry costs one refused mount, so read errors are ignored.
#pragma once

#include <filesystem>
#include <array>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace slimbuild::registry {

namespace fs = std::filesystem;

class MountCache {
 public:
  explicit MountCache(fs::path file);
  static fs::path default_path();  // empty when no cache directory can be found

  // Repositories other than `except` that held `digest`, most recent first.
  std::vector<std::string> candidates(const std::string& registry, const std::string& digest, const std::string& except) const;
  void remember(const std::string& registry, const std::string& digest, const std::string& repository);
  // Writes the merged cache; failures only warn (it is a cache).
  void save();

 private:
  static nlohmann::json load(const fs::path& file);
  static void merge(nlohmann::json& into, const std::string& registry, const std::string& digest, const std::string& repo);

  fs::path file_;
  nlohmann::json data_;
  std::vector<std::array<std::string, 3>> added_;
};

}  // namespace slimbuild::registry
