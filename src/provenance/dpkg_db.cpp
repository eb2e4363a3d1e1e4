// dpkg's database, read without dpkg: the *.list files name every path a
// package installed, the status file holds each package's version and
// architecture. A list file is "name.list" or, for Multi-Arch: same
// packages, "name:arch.list". Reading the files directly (rather than
// running dpkg-query) keeps this working for any sysroot, including a foreign
// architecture's.
#include <slimbuild/provenance/dpkg_db.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include <slimbuild/util/handles.hpp>

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

// A KEY=value of the sysroot's os-release (etc/ first, then usr/lib/), unquoted.
std::string os_release_value(const fs::path& sysroot, const std::string& key) {
  for (const char* f : {"etc/os-release", "usr/lib/os-release"}) {
    std::ifstream in(sysroot / f);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(key + "=", 0) == 0) {
        std::string value = line.substr(key.size() + 1);
        value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
        value.erase(std::remove(value.begin(), value.end(), '\''), value.end());
        if (!value.empty()) return value;
      }
  }
  return "";
}

}  // namespace

std::vector<DpkgPackage> parse_dpkg_status(std::string_view text) {
  std::vector<DpkgPackage> out;
  std::istringstream status{std::string(text)};
  std::map<std::string, std::string> f;
  while (read_paragraph(status, f)) {
    if (f["Status"].find(" installed") == std::string::npos || f["Package"].empty()) continue;
    DpkgPackage p;
    p.name = f["Package"];
    p.version = f["Version"];
    p.architecture = f["Architecture"];
    p.source_field = f["Source"];
    p.maintainer = f["Maintainer"];
    p.status = f["Status"];
    p.multi_arch = f["Multi-Arch"];
    p.description = f["Description"];
    std::string source = p.source_field;
    if (auto sp = source.find(' '); sp != std::string::npos) {  // "src (version)"
      auto open = source.find('(', sp), close = source.find(')', sp);
      if (open != std::string::npos && close != std::string::npos && close > open)
        p.source_version = source.substr(open + 1, close - open - 1);
      source.resize(sp);
    }
    if (source != p.name) p.source = source;
    if (p.source_version == p.version) p.source_version.clear();
    // Multi-Arch: same packages keep "name:arch" file names in info/.
    p.key = p.multi_arch == "same" ? p.name + ":" + p.architecture : p.name;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_md5sums(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    // "<32 hex>  <path, usually without the leading slash>"
    if (line.size() < 35 || line[32] != ' ') continue;
    std::string path = line.substr(34);
    if (path.empty()) continue;
    out.emplace_back(path[0] == '/' ? path : "/" + path, line.substr(0, 32));
  }
  return out;
}

namespace {

// The whole of `file` into `out` (its buffer reused from file to file).
bool read_whole(const fs::path& file, std::string& out) {
  util::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) return false;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t have = 0;
  while (have < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + have, out.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
  }
  out.resize(have);
  return true;
}

}  // namespace

DpkgDb DpkgDb::load(const fs::path& sysroot, const std::vector<std::string>& only) {
  DpkgDb db;
  db.sysroot_ = sysroot;
  db.distro_ = os_release_value(sysroot, "ID");
  if (db.distro_.empty()) db.distro_ = "debian";
  db.distro_version_ = os_release_value(sysroot, "VERSION_ID");
  const fs::path dpkg = sysroot / "var/lib/dpkg";

  std::ifstream status(dpkg / "status");
  std::stringstream text;
  text << status.rdbuf();
  for (auto& p : parse_dpkg_status(text.str())) {
    db.packages_[p.name + ":" + p.architecture] = p;
    db.packages_.emplace(p.name, p);  // first architecture wins for un-suffixed lists
  }

  std::set<std::string> wanted;
  std::set<std::string, std::less<>> wanted_names;  // looked up by string_view
  for (const auto& p : only) {
    wanted.insert(db.canonical(p));
    wanted_names.insert(p.substr(p.rfind('/') + 1));
  }
  auto keep = [&](std::string_view path) {
    return only.empty() || wanted_names.count(path.substr(path.rfind('/') + 1));
  };
  // The host's lists hold every installed file (~166,000 lines, 9.7 MB on a
  // developer machine): each is read whole and its lines are looked at in
  // place; only a line whose file name the image has becomes a string.
  std::error_code ec;
  std::string text_of_list;
  for (const auto& e : fs::directory_iterator(dpkg / "info", ec)) {
    if (e.path().extension() != ".list") continue;
    std::string key = e.path().stem().string();
    if (!db.packages_.count(key)) continue;  // removed packages keep no list, but be safe
    if (!read_whole(e.path(), text_of_list)) continue;
    std::string_view rest(text_of_list);
    while (!rest.empty()) {
      std::size_t nl = rest.find('\n');
      std::string_view path = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (!path.empty() && path != "/." && path[0] == '/' && keep(path)) {
        std::string c = db.canonical(std::string(path));
        if (only.empty() || wanted.count(c)) db.owners_.emplace(std::move(c), key);
      }
    }
  }
  return db;
}

std::string resolve_directories(const std::string& image_path,
                                const std::function<std::optional<std::string>(const std::string&)>& readlink) {
  auto slash = image_path.rfind('/');
  if (slash == std::string::npos || slash == 0) return image_path;
  std::string dir = image_path.substr(0, slash), name;
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
      resolved = resolved.substr(0, resolved.rfind('/') == std::string::npos ? 0 : resolved.rfind('/'));
      continue;
    }
    std::string next = resolved + "/" + c;
    if (auto target = readlink(next); target && ++links < 40) {
      if (!target->empty() && (*target)[0] == '/') resolved.clear();
      std::vector<std::string> parts;
      for (std::stringstream ts(*target); std::getline(ts, c, '/');)
        if (!c.empty()) parts.push_back(c);
      todo.insert(todo.end(), parts.rbegin(), parts.rend());
      continue;
    }
    resolved = next;
  }
  return resolved + image_path.substr(slash);
}

// Directories resolved through the sysroot's symlinks (absolute targets stay
// inside the sysroot), memoised per directory: every .list line goes through here.
std::string DpkgDb::canonical(const std::string& image_path) const {
  auto slash = image_path.rfind('/');
  if (slash == std::string::npos || slash == 0) return image_path;
  std::string dir = image_path.substr(0, slash);
  if (auto it = dirs_.find(dir); it != dirs_.end()) return it->second + image_path.substr(slash);
  std::string resolved = resolve_directories(dir + "/x", [this](const std::string& p) -> std::optional<std::string> {
    std::error_code ec;
    fs::path host = sysroot_ / p.substr(1);
    if (!fs::is_symlink(host, ec)) return std::nullopt;
    return fs::read_symlink(host, ec).string();
  });
  resolved.resize(resolved.size() - 2);
  dirs_[dir] = resolved;
  return resolved + image_path.substr(slash);
}

std::map<std::string, std::string> DpkgDb::md5sums(const DpkgPackage& package) const {
  const fs::path info = sysroot_ / "var/lib/dpkg/info";
  std::ifstream in(info / (package.key + ".md5sums"));
  if (!in) in.open(info / (package.name + ".md5sums"));
  std::stringstream text;
  text << in.rdbuf();
  std::map<std::string, std::string> sums;
  for (auto& [path, md5] : parse_md5sums(text.str())) sums.emplace(canonical(path), md5);
  return sums;
}

const DpkgPackage* DpkgDb::package(const std::string& key) const {
  auto it = packages_.find(key);
  return it == packages_.end() ? nullptr : &it->second;
}

const DpkgPackage* DpkgDb::owner(const std::string& image_path) const {
  if (owners_.empty() || image_path.empty() || image_path[0] != '/') return nullptr;
  auto it = owners_.find(canonical(image_path));
  if (it == owners_.end()) return nullptr;
  auto p = packages_.find(it->second);
  return p == packages_.end() ? nullptr : &p->second;
}

}  // namespace slimbuild::provenance
