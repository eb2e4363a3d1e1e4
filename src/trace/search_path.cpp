// Search directories as glibc computes them. Two Debian facts were checked on
// a Debian 12 amd64 host with LD_DEBUG=libs: $LIB expands to
// "lib/x86_64-linux-gnu" (the multiarch directory, not "lib64"), and the
// built-in system search path is /lib/<triplet>, /usr/lib/<triplet>, /lib,
// /usr/lib. We append /lib64 and /usr/lib64 for 64-bit targets so that
// RPM-style sysroots (where those are the built-in directories) also work;
// a Debian sysroot keeps only the ld.so symlink there, so the order above
// still decides for Debian.
//
// glibc-hwcaps subdirectories (dir/glibc-hwcaps/x86-64-v3/...) are not
// probed on purpose: which one the loader picks depends on the CPU the image
// later runs on, and when none is present it falls back to the baseline
// library in `dir`, which we always ship. The image stays minimal and works
// on every CPU; only a library that exists solely in a hwcaps directory is
// reported missing.
#include "trace/search_path.hpp"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <sstream>

#include <slimbuild/trace/platform.hpp>
#include <slimbuild/trace/sysroot_path.hpp>
#include <slimbuild/util/image_path.hpp>

namespace slimbuild::trace {

namespace {

// Include chains deeper than this are a loop in the configuration.
constexpr int kMaxIncludeDepth = 16;
// ld.so.conf files are a few lines; anything bigger is not a configuration.
constexpr size_t kMaxConfSize = 1 << 20;

void add_unique(std::vector<std::string>& dirs, const std::string& dir) {
  if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\f\v");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\f\v");
  return s.substr(b, e - b + 1);
}

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// Expands an absolute glob pattern against the sysroot, component by
// component, sorted like glob(3).
void expand_glob(const fs::path& sysroot, const util::FileSystem& files, const std::string& base,
                 const std::vector<std::string>& parts, size_t i, std::vector<std::string>& out) {
  if (i == parts.size()) {
    if (lookup_in_sysroot(sysroot, base, files)) out.push_back(base);
    return;
  }
  std::string prefix = base == "/" ? "" : base;
  if (!has_wildcard(parts[i])) {
    expand_glob(sysroot, files, prefix + "/" + parts[i], parts, i + 1, out);
    return;
  }
  for (const auto& name : list_image_dir(sysroot, base.empty() ? "/" : base, files))
    if (::fnmatch(parts[i].c_str(), name.c_str(), FNM_PERIOD) == 0)
      expand_glob(sysroot, files, prefix + "/" + name, parts, i + 1, out);
}

std::vector<std::string> glob_in_sysroot(const fs::path& sysroot, const util::FileSystem& files,
                                         const std::string& pattern) {
  std::vector<std::string> parts;
  std::stringstream ss(util::clamp_image_path(pattern));
  for (std::string p; std::getline(ss, p, '/');)
    if (!p.empty()) parts.push_back(p);
  std::vector<std::string> out;
  expand_glob(sysroot, files, "/", parts, 0, out);
  return out;
}

// Each file is read at most once: an include glob that matches its own file
// (or a cycle of them) would otherwise multiply the work at every level.
void parse_conf(const fs::path& sysroot, const util::FileSystem& files, const std::string& image_file, int depth,
                std::vector<std::string>& dirs, std::set<std::string>& seen) {
  if (depth > kMaxIncludeDepth) return;
  auto file = lookup_in_sysroot(sysroot, image_file, files);
  if (!file || !seen.insert(file->image_path).second) return;
  // Not a regular file, too big or unreadable: ldconfig would skip it too.
  auto read = files.read_file(file->host_path, kMaxConfSize);
  if (!read) return;
  const std::string& text = *read;
  // ldconfig joins relative patterns to the directory of the name it opened,
  // not of a symlink's target.
  std::string conf_dir = fs::path(image_file).parent_path().string();
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    auto keyword = [&](const char* k) {
      size_t n = std::char_traits<char>::length(k);
      return line.compare(0, n, k) == 0 && line.size() > n && (line[n] == ' ' || line[n] == '\t');
    };
    if (keyword("hwcap")) continue;
    if (keyword("include")) {
      std::stringstream patterns(line.substr(7));
      for (std::string pattern; patterns >> pattern;) {
        if (pattern[0] != '/') pattern = conf_dir + "/" + pattern;
        for (const auto& included : glob_in_sysroot(sysroot, files, pattern))
          parse_conf(sysroot, files, included, depth + 1, dirs, seen);
      }
      continue;
    }
    // ldconfig accepts "dir=TYPE" (a.out-era library types); the type is ignored.
    std::string dir = line.substr(0, line.find('='));
    dir = trim(dir);
    if (dir.empty() || dir[0] != '/') continue;
    add_unique(dirs, util::clamp_image_path(dir));
  }
}

bool image_dir_exists(const fs::path& sysroot, const util::FileSystem& files, const std::string& dir) {
  auto r = lookup_in_sysroot(sysroot, dir, files);
  if (!r) return false;
  auto st = files.stat(r->host_path);
  return st && S_ISDIR(st->st_mode);
}

}  // namespace

std::string expand_tokens(const std::string& entry, const std::string& origin, const std::string& lib,
                          const std::string& platform) {
  std::string out;
  for (size_t i = 0; i < entry.size();) {
    if (entry[i] != '$') {
      out += entry[i++];
      continue;
    }
    bool replaced = false;
    for (auto [name, value] : {std::pair<const char*, const std::string*>{"ORIGIN", &origin}, {"LIB", &lib}, {"PLATFORM", &platform}}) {
      std::string plain = std::string("$") + name, braced = std::string("${") + name + "}";
      size_t n = std::string(name).size();
      // A bare token ends at a character that cannot continue an identifier.
      bool bare = entry.compare(i, plain.size(), plain) == 0 &&
                  (i + 1 + n == entry.size() || !(std::isalnum(static_cast<unsigned char>(entry[i + 1 + n])) || entry[i + 1 + n] == '_'));
      if (bare || entry.compare(i, braced.size(), braced) == 0) {
        out += *value;
        i += bare ? plain.size() : braced.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += entry[i++];
  }
  return out;
}

std::vector<std::string> read_ld_so_conf(const fs::path& sysroot, const util::FileSystem& files) {
  std::vector<std::string> dirs;
  std::set<std::string> seen;
  parse_conf(sysroot, files, "/etc/ld.so.conf", 0, dirs, seen);
  return dirs;
}

LibrarySearchPath::LibrarySearchPath(fs::path sysroot, const ElfInfo& binary, const util::FileSystem& files)
    : sysroot_(std::move(sysroot)) {
  std::string triplet = multiarch_triplet(binary);
  bool is64 = binary.elf_class == ElfClass::Elf64;
  bool multiarch = !triplet.empty() && (image_dir_exists(sysroot_, files, "/usr/lib/" + triplet) ||
                                        image_dir_exists(sysroot_, files, "/lib/" + triplet));
  lib_ = multiarch ? "lib/" + triplet : is64 ? "lib64" : "lib";
  platform_ = platform_token(binary);
  if (!triplet.empty()) {
    default_dirs_.push_back("/lib/" + triplet);
    default_dirs_.push_back("/usr/lib/" + triplet);
  }
  default_dirs_.push_back("/lib");
  default_dirs_.push_back("/usr/lib");
  if (is64) {
    default_dirs_.push_back("/lib64");
    default_dirs_.push_back("/usr/lib64");
  }
  conf_dirs_ = read_ld_so_conf(sysroot_, files);
}

std::vector<SearchDir> LibrarySearchPath::expand(const std::vector<std::string>& entries,
                                                 const std::string& origin_dir) const {
  std::vector<SearchDir> out;
  for (const auto& entry : entries) {
    std::string expanded = expand_tokens(entry, origin_dir, lib_, platform_);
    if (expanded.empty() || expanded[0] != '/') continue;
    SearchDir d{util::clamp_image_path(expanded), std::nullopt};
    for (const char* token : {"$ORIGIN", "${ORIGIN}"}) {
      std::string t = token;
      if (entry.compare(0, t.size(), t) == 0 && (entry.size() == t.size() || entry[t.size()] == '/'))
        d.origin_relative = expand_tokens(entry.substr(std::min(entry.size(), t.size() + 1)), origin_dir, lib_, platform_);
    }
    if (std::none_of(out.begin(), out.end(), [&](const SearchDir& o) { return o.dir == d.dir; })) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace slimbuild::trace
