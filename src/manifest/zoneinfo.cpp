// Zone lookups. Only an error pays for listing the database (a few hundred
// files) to find a suggestion; the common path is one stat and one read of
// four bytes per zone.
#include "manifest/zoneinfo.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include <slimbuild/manifest/zone_name.hpp>

#include <slimbuild/manifest/did_you_mean.hpp>

namespace slimbuild::manifest {

namespace fs = std::filesystem;

namespace {

// Enough for any real tz database (about 600 zones, twice that with
// backward links); a cap keeps a hostile sysroot from making us walk forever.
constexpr std::size_t kMaxZonesListed = 5000;

// Zone names in the database, without the "posix/" and "right/" copies.
std::vector<std::string> list_zones(const fs::path& zoneinfo) {
  std::vector<std::string> zones;
  std::error_code ec;
  fs::recursive_directory_iterator it(zoneinfo, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end && zones.size() < kMaxZonesListed; it.increment(ec)) {
    std::string rel = it->path().lexically_relative(zoneinfo).generic_string();
    if (it->is_directory(ec)) {
      if (rel == "posix" || rel == "right") it.disable_recursion_pending();
      continue;
    }
    // zone.tab, tzdata.zi, leapseconds...: lower-case or dotted names are not zones.
    std::string base = it->path().filename().string();
    if (base.find('.') != std::string::npos || std::islower(static_cast<unsigned char>(base.front()))) continue;
    zones.push_back(std::move(rel));
  }
  std::sort(zones.begin(), zones.end());
  return zones;
}

std::optional<std::string> suggest_zone(const fs::path& zoneinfo, std::string_view zone) {
  std::vector<std::string> zones = list_zones(zoneinfo);
  if (auto near = did_you_mean(zone, zones)) return near;
  // "Ljubljana" for "Europe/Ljubljana": the city alone.
  if (zone.find('/') == std::string_view::npos)
    for (const auto& z : zones) {
      auto slash = z.rfind('/');
      if (slash != std::string::npos && did_you_mean(zone, {z.substr(slash + 1)}, 1)) return z;
    }
  return std::nullopt;
}

}  // namespace

fs::path zoneinfo_dir(const fs::path& sysroot) { return sysroot / "usr/share/zoneinfo"; }

std::optional<Problem> check_zone_syntax(std::string_view zone) {
  std::optional<std::string> why = zone_name_problem(zone);
  if (!why) return std::nullopt;
  return Problem{"is not a time zone name (" + *why + "): '" + std::string(zone.substr(0, 80)) + "'",
                 "zone names look like Europe/Ljubljana or UTC"};
}

std::optional<Problem> check_zone(const fs::path& zoneinfo, std::string_view zone) {
  if (auto p = check_zone_syntax(zone)) return p;
  std::error_code ec;
  if (!fs::is_directory(zoneinfo, ec))
    return Problem{"needs the tz database, but " + zoneinfo.string() + " does not exist",
                   "install tzdata on the build machine, or point sysroot: at a tree that has it"};
  fs::path file = zoneinfo / std::string(zone);
  if (is_tzif_file(file)) return std::nullopt;
  std::string what = "is an unknown time zone '" + std::string(zone) + "'";
  if (fs::is_directory(file, ec))
    return Problem{"names a directory of zones, not a zone: '" + std::string(zone) + "'",
                   "pick one zone, e.g. " + std::string(zone) + "/..., or use tzdata: true for all"};
  if (auto near = suggest_zone(zoneinfo, zone)) return Problem{what + "; did you mean '" + *near + "'?", {}};
  return Problem{what, "zone names are paths under " + zoneinfo.string() + ", e.g. Europe/Ljubljana or UTC"};
}

}  // namespace slimbuild::manifest
