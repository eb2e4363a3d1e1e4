// Mount-source cache: {"registries": {"host:port": {"sha256:..": ["repo", ...]}}}.
// Bounded per blob and per registry so it never grows without limit.
#include <slimbuild/registry/mount_cache.hpp>

#include <cstdlib>

#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::registry {

namespace {
constexpr std::size_t kReposPerBlob = 4;
constexpr std::size_t kBlobsPerRegistry = 4096;
}  // namespace

MountCache::MountCache(fs::path file) : file_(std::move(file)), data_(load(file_)) {}

fs::path MountCache::default_path() {
  const util::Environment& env = util::environment();
  if (auto x = env.get("XDG_CACHE_HOME")) return fs::path(*x) / "slimbuild" / "blob-repositories.json";
  if (auto h = env.get("HOME")) return fs::path(*h) / ".cache" / "slimbuild" / "blob-repositories.json";
  return {};
}

nlohmann::json MountCache::load(const fs::path& file) {
  nlohmann::json j = nlohmann::json::object();
  std::error_code ec;
  if (file.empty() || !fs::is_regular_file(file, ec) || fs::file_size(file, ec) > (16u << 20)) return j;
  try {
    nlohmann::json parsed = nlohmann::json::parse(util::read_file(file), nullptr, false);
    if (parsed.is_object() && parsed.contains("registries") && parsed["registries"].is_object()) j = parsed;
  } catch (const std::exception&) {
    // An unreadable cache is an empty cache.
  }
  return j;
}

std::vector<std::string> MountCache::candidates(const std::string& registry, const std::string& digest,
                                                const std::string& except) const {
  std::vector<std::string> out;
  auto regs = data_.find("registries");
  if (regs == data_.end() || !regs->contains(registry)) return out;
  const auto& blobs = (*regs)[registry];
  if (!blobs.is_object() || !blobs.contains(digest) || !blobs[digest].is_array()) return out;
  for (const auto& r : blobs[digest])
    if (r.is_string() && r.get<std::string>() != except) out.push_back(r.get<std::string>());
  return out;
}

void MountCache::merge(nlohmann::json& into, const std::string& registry, const std::string& digest, const std::string& repo) {
  if (!into.contains("registries") || !into["registries"].is_object()) into["registries"] = nlohmann::json::object();
  auto& blobs = into["registries"][registry];
  if (!blobs.is_object()) blobs = nlohmann::json::object();
  auto& repos = blobs[digest];
  nlohmann::json updated = nlohmann::json::array({repo});
  if (repos.is_array())
    for (const auto& r : repos)
      if (r.is_string() && r != repo && updated.size() < kReposPerBlob) updated.push_back(r);
  repos = std::move(updated);
  while (blobs.size() > kBlobsPerRegistry) blobs.erase(blobs.begin());
}

void MountCache::remember(const std::string& registry, const std::string& digest, const std::string& repository) {
  if (!util::is_sha256_digest(digest)) return;
  merge(data_, registry, digest, repository);
  added_.push_back({registry, digest, repository});
}

void MountCache::save() {
  if (file_.empty() || added_.empty()) return;
  try {
    // Another push may have written since we loaded: merge our additions into its version.
    nlohmann::json current = load(file_);
    for (const auto& [reg, digest, repo] : added_) merge(current, reg, digest, repo);
    fs::create_directories(file_.parent_path());
    util::write_file_atomic(file_, current.dump(), 0600);
    added_.clear();
  } catch (const std::exception& e) {
    util::debug(std::string("could not update the mount cache ") + file_.string() + ": " + e.what());
  }
}

}  // namespace slimbuild::registry
