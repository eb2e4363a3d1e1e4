// Writing the dpkg records: which packages own what the image holds (one
// ownership rule, entry_owner, shared with the SBOM), then per package its
// stanza, md5sums and copyright. The md5 of a file comes from the package's
// own info/<pkg>.md5sums when it lists the file (so a scanner's integrity
// check compares against what Debian shipped); conffiles and files dpkg has
// no sum for are hashed from their content. Everything is derived from the
// sysroot and the rootfs, so the records are as reproducible as the layer.
#include <slimbuild/provenance/dpkg_records.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <slimbuild/rootfs/tree.hpp>
#include <slimbuild/trace/sysroot_path.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::provenance {

using rootfs::EntryOrigin;

namespace {

// No empty, "." or ".." component: already what lexically_normal gives
// (which costs more than the rest of a file's SBOM entry).
bool plainly_normal(const std::string& p) {
  for (std::size_t i = 0; i < p.size();) {
    std::size_t end = p.find('/', i);
    if (end == std::string::npos) end = p.size();
    std::string_view part(p.data() + i, end - i);
    if ((part.empty() && i != 0) || part == "." || part == "..") return false;
    i = end + 1;
  }
  return true;
}

// `source` as an image path when it lies inside `sysroot`, else "".
std::string path_in_sysroot(const fs::path& source, const fs::path& sysroot) {
  if (source.empty()) return "";
  std::string src = plainly_normal(source.native()) ? source.native() : source.lexically_normal().generic_string();
  std::string root = sysroot.lexically_normal().generic_string();
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (src.rfind(root + "/", 0) != 0) return "";
  return src.substr(root.size());
}

// The real host file `image_path` names inside the sysroot, if it is a regular file.
std::optional<fs::path> sysroot_file(const fs::path& sysroot, const std::string& image_path) {
  auto found = trace::lookup_in_sysroot(sysroot, image_path);
  std::error_code ec;
  if (!found || !fs::is_regular_file(found->host_path, ec)) return std::nullopt;
  return found->host_path;
}

void add_if_absent(rootfs::Rootfs& rootfs, rootfs::Entry entry) {
  if (!rootfs.contains(entry.path)) rootfs.add(std::move(entry));
}

rootfs::Entry generated(const std::string& path, std::string content) {
  rootfs::Entry e;
  e.path = path;
  e.type = rootfs::EntryType::File;
  e.mode = 0644;
  e.size = content.size();
  e.content = std::move(content);
  e.origin = EntryOrigin::DpkgRecord;
  return e;
}

// /usr/lib/os-release (+ the /etc link) and /etc/debian_version, when the sysroot has them.
void add_os_identity(rootfs::Rootfs& rootfs, const fs::path& sysroot) {
  auto os_release = sysroot_file(sysroot, "/usr/lib/os-release");
  if (!os_release) os_release = sysroot_file(sysroot, "/etc/os-release");
  if (os_release && !rootfs.contains("/etc/os-release")) {
    add_if_absent(rootfs, rootfs::file_entry(*os_release, "/usr/lib/os-release", 0644, EntryOrigin::OsRelease));
    rootfs::Entry link;
    link.path = "/etc/os-release";
    link.type = rootfs::EntryType::Symlink;
    link.mode = 0777;
    link.link_target = "../usr/lib/os-release";
    link.origin = EntryOrigin::OsRelease;
    rootfs.add(std::move(link));
  }
  if (auto v = sysroot_file(sysroot, "/etc/debian_version"))
    add_if_absent(rootfs, rootfs::file_entry(*v, "/etc/debian_version", 0644, EntryOrigin::OsRelease));
}

std::string md5_of(const rootfs::Entry& e) {
  return rootfs::bytes_in_memory(e) ? util::md5_hex(e.content) : util::md5_file_hex(e.source);
}

}  // namespace

const DpkgPackage* entry_owner(const DpkgDb& db, const rootfs::Entry& e, const fs::path& sysroot) {
  if (db.empty() || (e.type != rootfs::EntryType::File && e.type != rootfs::EntryType::Symlink)) return nullptr;
  if (e.origin == EntryOrigin::Copyright) {
    if (!e.needed_by.empty())
      if (const DpkgPackage* p = db.package(e.needed_by.front())) return p;
    // /usr/share/doc/<name>/copyright
    std::string rest = e.path.substr(std::string("/usr/share/doc/").size());
    return db.package(rest.substr(0, rest.find('/')));
  }
  if (e.origin == EntryOrigin::Generated || e.origin == EntryOrigin::ImplicitDirectory || e.origin == EntryOrigin::DpkgRecord) return nullptr;
  if (e.type == rootfs::EntryType::Symlink) {
    // A link to a directory (/lib -> usr/lib) stands for a directory, which
    // dpkg lists under every package that installs something below it.
    auto found = trace::lookup_in_sysroot(sysroot, e.path);
    std::error_code ec;
    if (found && fs::is_directory(found->host_path, ec)) return nullptr;
  }
  bool own_file = e.origin == EntryOrigin::Binary || e.origin == EntryOrigin::Files;
  if (!own_file)
    if (const DpkgPackage* p = db.owner(e.path)) return p;
  std::string host = path_in_sysroot(e.source, sysroot);
  return host.empty() ? nullptr : db.owner(host);
}

std::vector<std::string> owner_lookup_paths(const rootfs::Rootfs& rootfs, const fs::path& sysroot) {
  std::vector<std::string> paths;
  for (const auto& [path, e] : rootfs.entries()) {
    if (e.type != rootfs::EntryType::File && e.type != rootfs::EntryType::Symlink) continue;
    paths.push_back(path);
    if (std::string host = path_in_sysroot(e.source, sysroot); !host.empty()) paths.push_back(host);
  }
  // The OS identity files add_dpkg_records adds (base-files owns them).
  for (const char* p : {"/usr/lib/os-release", "/etc/os-release", "/etc/debian_version"}) paths.push_back(p);
  return paths;
}

std::string status_stanza(const DpkgPackage& p) {
  std::string s = "Package: " + p.name + "\n";
  s += "Status: " + (p.status.empty() ? std::string("install ok installed") : p.status) + "\n";
  if (!p.maintainer.empty()) s += "Maintainer: " + p.maintainer + "\n";
  s += "Architecture: " + p.architecture + "\n";
  if (!p.multi_arch.empty()) s += "Multi-Arch: " + p.multi_arch + "\n";
  if (!p.source_field.empty()) s += "Source: " + p.source_field + "\n";
  s += "Version: " + p.version + "\n";
  s += "Description: " + (p.description.empty() ? p.name : p.description) + "\n";
  return s;
}

std::vector<RecordedPackage> add_dpkg_records(rootfs::Rootfs& rootfs, const DpkgDb& db, const fs::path& sysroot) {
  add_os_identity(rootfs, sysroot);

  // Which packages the image holds files of, by package key.
  std::map<std::string, RecordedPackage> by_key;
  for (const auto& [path, e] : rootfs.entries()) {
    const DpkgPackage* p = entry_owner(db, e, sysroot);
    if (!p) continue;
    auto& rec = by_key.try_emplace(p->key, RecordedPackage{*p, {}, {}}).first->second;
    if (e.type == rootfs::EntryType::File) rec.files.push_back(path);
  }

  // Record names: the package name, or "name:arch" for a second architecture.
  std::set<std::string> taken;
  std::vector<RecordedPackage> recorded;
  for (auto& [key, rec] : by_key) {
    rec.record = taken.count(rec.package.name) ? rec.package.name + ":" + rec.package.architecture : rec.package.name;
    taken.insert(rec.record);

    std::string copyright = "/usr/share/doc/" + rec.package.name + "/copyright";
    if (!rootfs.contains(copyright))
      if (auto host = sysroot_file(sysroot, copyright)) {
        rootfs::Entry e = rootfs::file_entry(*host, copyright, 0644, EntryOrigin::Copyright);
        // The package it documents, by key: "libc6:arm64" in an arm64 image
        // built on an amd64 multiarch host, where the name alone is ambiguous.
        e.needed_by = {rec.package.key};
        rootfs.add(std::move(e));
        rec.files.push_back(copyright);
      }
    std::sort(rec.files.begin(), rec.files.end());
    rec.files.erase(std::unique(rec.files.begin(), rec.files.end()), rec.files.end());

    std::map<std::string, std::string> sums = db.md5sums(rec.package);
    std::string md5sums;
    for (const auto& path : rec.files) {
      auto it = sums.find(db.canonical(path));
      md5sums += (it != sums.end() ? it->second : md5_of(*rootfs.find(path))) + "  " + path.substr(1) + "\n";
    }
    rootfs.add(generated(std::string(kStatusDir) + "/" + rec.record, status_stanza(rec.package)));
    rootfs.add(generated(std::string(kStatusDir) + "/" + rec.record + ".md5sums", std::move(md5sums)));
    recorded.push_back(std::move(rec));
  }
  return recorded;
}

}  // namespace slimbuild::provenance
