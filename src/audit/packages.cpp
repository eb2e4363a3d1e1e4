// What an image says is installed, from every record a scanner would read:
// dpkg's status file and info/*.list (a Debian-based image), distroless /
// slimbuild status.d stanzas and their md5sums, apk's installed database,
// and the SBOMs attached as referrers. The same records decide which files
// are accounted for; paths are compared after resolving directories
// through the image's own symlinks, so a package listing
// /lib/x86_64-linux-gnu/libc.so.6 accounts for /usr/lib/x86_64-linux-gnu/libc.so.6.
#include "audit/checks.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>
#include <tuple>

#include <slimbuild/provenance/dpkg_db.hpp>

namespace slimbuild::audit {

namespace {

constexpr const char* kDpkgStatus = "/var/lib/dpkg/status";
constexpr const char* kStatusD = "/var/lib/dpkg/status.d/";
constexpr const char* kDpkgInfo = "/var/lib/dpkg/info/";
constexpr const char* kApkInstalled = "/lib/apk/db/installed";

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// apk's database: "P:name", "V:version", "A:arch", "F:dir", "R:file" lines, blank-line separated.
void read_apk(const std::string& text, std::vector<Package>* packages, std::set<std::string>* files) {
  std::istringstream in(text);
  std::string line, dir;
  Package p{"", "", "", "apk"};
  auto flush = [&] {
    if (packages && !p.name.empty()) packages->push_back(p);
    p = {"", "", "", "apk"};
  };
  while (std::getline(in, line)) {
    if (line.empty()) { flush(); continue; }
    if (line.size() < 2 || line[1] != ':') continue;
    std::string v = line.substr(2);
    switch (line[0]) {
      case 'P': p.name = v; break;
      case 'V': p.version = v; break;
      case 'A': p.architecture = v; break;
      case 'F': dir = "/" + v; break;
      case 'R': if (files) files->insert(dir + "/" + v); break;
      default: break;
    }
  }
  flush();
}

// "arch" qualifier of a purl, "" when absent.
std::string purl_arch(const std::string& purl) {
  auto q = purl.find("arch=");
  if (q == std::string::npos) return "";
  return purl.substr(q + 5, purl.find('&', q) == std::string::npos ? std::string::npos : purl.find('&', q) - q - 5);
}

// Packages (name, version, purl arch) and file names an SPDX or CycloneDX document lists.
void read_sbom(const nlohmann::json& doc, std::vector<Package>* packages, std::set<std::string>* files) {
  auto add_file = [&](const std::string& name) {
    if (!files || name.empty()) return;
    files->insert(name[0] == '/' ? name : name.rfind("./", 0) == 0 ? name.substr(1) : "/" + name);
  };
  if (doc.contains("spdxVersion")) {
    for (const auto& f : doc.value("files", nlohmann::json::array())) add_file(f.value("fileName", ""));
    for (const auto& p : doc.value("packages", nlohmann::json::array())) {
      std::string purl;
      for (const auto& r : p.value("externalRefs", nlohmann::json::array()))
        if (r.value("referenceType", "") == "purl") purl = r.value("referenceLocator", "");
      if (packages && !purl.empty()) packages->push_back({p.value("name", ""), p.value("versionInfo", ""), purl_arch(purl), "sbom"});
    }
    return;
  }
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& components) {
    for (const auto& c : components) {
      if (c.value("type", "") == "file") add_file(c.value("name", ""));
      if (packages && c.contains("purl")) packages->push_back({c.value("name", ""), c.value("version", ""), purl_arch(c.value("purl", "")), "sbom"});
      if (c.contains("components")) walk(c["components"]);
    }
  };
  walk(doc.value("components", nlohmann::json::array()));
}

}  // namespace

bool metadata_wanted(const std::string& path) {
  if (path == "/etc/passwd" || path == "/etc/group" || path == "/etc/os-release" || path == "/usr/lib/os-release" ||
      path == kDpkgStatus || path == kApkInstalled)
    return true;
  if (starts_with(path, kStatusD)) return true;
  return starts_with(path, kDpkgInfo) && ends_with(path, ".list");
}

std::vector<Package> identify_packages(const AuditImage& image) {
  std::vector<Package> out;
  for (const auto& [path, text] : image.contents) {
    bool status_d = starts_with(path, kStatusD) && !ends_with(path, ".md5sums");
    if (path == kDpkgStatus || status_d)
      for (const auto& p : provenance::parse_dpkg_status(text))
        out.push_back({p.name, p.version, p.architecture, status_d ? "status.d" : "dpkg"});
    if (path == kApkInstalled) read_apk(text, &out, nullptr);
  }
  // An SBOM names packages the image's own records may lack.
  std::set<std::string> known;
  for (const auto& p : out) known.insert(p.name + ":" + p.architecture);
  std::vector<Package> from_sbom;
  for (const auto& doc : image.sboms) read_sbom(doc, &from_sbom, nullptr);
  for (auto& p : from_sbom)
    if (known.insert(p.name + ":" + p.architecture).second) out.push_back(std::move(p));
  std::sort(out.begin(), out.end(), [](const Package& a, const Package& b) {
    return std::tie(a.name, a.architecture, a.version) < std::tie(b.name, b.architecture, b.version);
  });
  out.erase(std::unique(out.begin(), out.end(), [](const Package& a, const Package& b) {
              return a.name == b.name && a.architecture == b.architecture && a.version == b.version;
            }), out.end());
  return out;
}

void check_accounted(const AuditImage& image, std::vector<Finding>& out) {
  auto readlink = [&](const std::string& p) -> std::optional<std::string> {
    auto it = image.files.find(p);
    if (it == image.files.end() || it->second.type != inspect::FileType::Symlink) return std::nullopt;
    return it->second.link;
  };
  std::set<std::string> listed;
  for (const auto& [path, text] : image.contents) {
    if (starts_with(path, kDpkgInfo) && ends_with(path, ".list")) {
      std::istringstream in(text);
      for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] == '/') listed.insert(line);
    } else if (starts_with(path, kStatusD) && ends_with(path, ".md5sums")) {
      for (const auto& [file, md5] : provenance::parse_md5sums(text)) listed.insert(file);
    } else if (path == kApkInstalled) {
      read_apk(text, nullptr, &listed);
    }
  }
  for (const auto& doc : image.sboms) read_sbom(doc, nullptr, &listed);
  std::set<std::string> accounted;
  for (const auto& p : listed) accounted.insert(provenance::resolve_directories(p, readlink));

  for (const auto& [path, f] : image.files) {
    if (f.type != inspect::FileType::File) continue;
    // The package records themselves are what accounts for the rest.
    if (starts_with(path, "/var/lib/dpkg/") || starts_with(path, "/lib/apk/db/")) continue;
    if (accounted.count(provenance::resolve_directories(path, readlink))) continue;
    out.push_back({"unaccounted-file", path, "no SBOM or package record lists it"});
  }
}

}  // namespace slimbuild::audit
