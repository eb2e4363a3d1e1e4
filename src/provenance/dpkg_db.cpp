// dpkg's database, read without dpkg: the *.list files name every path a
// package installed, the status file holds each package's version and
// architecture. A list file is "name.list" or, for Multi-Arch: same
// packages, "name:arch.list". Reading the files directly (rather than
// running dpkg-query) keeps this working for any sysroot, including a foreign
// architecture's.
#include <slimbuild/provenance/dpkg_db.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace slimbuild::provenance {

namespace {

// "Key: value" paragraphs; returns false at end of file.
bool read_paragraph(std::istream& in, std::map<std::string, std::string>& fields) {
  fields.clear();
  std::string line, key;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (fields.empty()) continue;
      return true;
    }
    if (line[0] == ' ' || line[0] == '\t') continue;  // continuation lines (descriptions, conffiles)
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    fields[line.substr(0, colon)] = value;
  }
  return !fields.empty();
}

std::string os_release_id(const fs::path& sysroot) {
  for (const char* f : {"etc/os-release", "usr/lib/os-release"}) {
    std::ifstream in(sysroot / f);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("ID=", 0) == 0) {
        std::string id = line.substr(3);
        id.erase(std::remove(id.begin(), id.end(), '"'), id.end());
        if (!id.empty()) return id;
      }
  }
  return "debian";
}

}  // namespace

DpkgDb DpkgDb::load(const fs::path& sysroot, const std::vector<std::string>& only) {
  DpkgDb db;
  db.sysroot_ = sysroot;
  db.distro_ = os_release_id(sysroot);
  const fs::path dpkg = sysroot / "var/lib/dpkg";

  std::ifstream status(dpkg / "status");
  std::map<std::string, std::string> f;
  while (read_paragraph(status, f)) {
    if (f["Status"].find(" installed") == std::string::npos || f["Package"].empty()) continue;
    DpkgPackage p{f["Package"], f["Version"], f["Architecture"], {}};
    std::string source = f["Source"];
    if (auto sp = source.find(' '); sp != std::string::npos) source.resize(sp);  // "src (version)"
    if (source != p.name) p.source = source;
    db.packages_[p.name + ":" + p.architecture] = p;
    db.packages_.emplace(p.name, p);  // first architecture wins for un-suffixed lists
  }

  std::set<std::string> wanted, wanted_names;
  for (const auto& p : only) {
    wanted.insert(db.canonical(p));
    wanted_names.insert(p.substr(p.rfind('/') + 1));
  }
  auto keep = [&](const std::string& path) {
    return only.empty() || wanted_names.count(path.substr(path.rfind('/') + 1));
  };
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dpkg / "info", ec)) {
    if (e.path().extension() != ".list") continue;
    std::string key = e.path().stem().string();
    if (!db.packages_.count(key)) continue;  // removed packages keep no list, but be safe
    std::ifstream in(e.path());
    std::string path;
    while (std::getline(in, path))
      if (!path.empty() && path != "/." && path[0] == '/' && keep(path)) {
        std::string c = db.canonical(path);
        if (only.empty() || wanted.count(c)) db.owners_.emplace(std::move(c), key);
      }
  }
  return db;
}

// Resolves the directories of `image_path` through the sysroot's symlinks
// (absolute targets stay inside the sysroot); the file name itself is kept,
// because packages own symlinks like libz.so.1 as themselves.
std::string DpkgDb::canonical(const std::string& image_path) const {
  auto slash = image_path.rfind('/');
  std::string dir = image_path.substr(0, slash), name = image_path.substr(slash + 1);
  if (dir.empty()) return image_path;
  if (auto it = dirs_.find(dir); it != dirs_.end()) return it->second + "/" + name;

  std::string resolved;  // canonical so far, "" = root
  std::vector<std::string> todo;
  for (std::stringstream ss(dir); std::getline(ss, name, '/');)
    if (!name.empty()) todo.push_back(name);
  std::reverse(todo.begin(), todo.end());
  for (int links = 0; !todo.empty();) {
    std::string c = todo.back();
    todo.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      resolved = resolved.substr(0, resolved.rfind('/'));
      continue;
    }
    std::error_code ec;
    fs::path host = sysroot_ / (resolved.empty() ? c : resolved.substr(1) + "/" + c);
    if (fs::is_symlink(host, ec) && ++links < 40) {
      std::string target = fs::read_symlink(host, ec).string();
      if (!target.empty() && target[0] == '/') resolved.clear();
      std::vector<std::string> parts;
      for (std::stringstream ts(target); std::getline(ts, c, '/');)
        if (!c.empty()) parts.push_back(c);
      todo.insert(todo.end(), parts.rbegin(), parts.rend());
      continue;
    }
    resolved += "/" + c;
  }
  dirs_[dir] = resolved;
  return resolved + image_path.substr(slash);
}

const DpkgPackage* DpkgDb::owner(const std::string& image_path) const {
  if (owners_.empty() || image_path.empty() || image_path[0] != '/') return nullptr;
  auto it = owners_.find(canonical(image_path));
  if (it == owners_.end()) return nullptr;
  auto p = packages_.find(it->second);
  return p == packages_.end() ? nullptr : &p->second;
}

}  // namespace slimbuild::provenance
