// Component-by-component path resolution inside a sysroot, recording every
// symlink crossed. We cannot use realpath() or std::filesystem::canonical:
// they would follow an absolute link such as /usr/lib64/ld-linux-x86-64.so.2
// -> /lib/x86_64-linux-gnu/... out of the sysroot into the host, and they
// would not tell us the hops the image has to recreate.
#include <slimbuild/trace/sysroot_path.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include <slimbuild/util/error.hpp>

namespace slimbuild::trace {

namespace {

std::vector<std::string> split_components(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string join_image(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

fs::path host_of(const fs::path& sysroot, const std::string& image_path) {
  return sysroot / fs::path(image_path).relative_path();
}

// A component still to resolve, and the hop whose target produced it (-1:
// the original path). A missing component from a link target means the link
// dangles, which is worth saying instead of "not found".
struct Pending {
  std::string name;
  int from_hop = -1;
};

}  // namespace

std::expected<ResolvedPath, LookupError> lookup_in_sysroot(const fs::path& sysroot, const std::string& image_path,
                                                           const util::FileSystem& files) {
  std::deque<Pending> pending;
  for (auto& c : split_components(image_path)) pending.push_back({c, -1});
  std::vector<std::string> current;
  ResolvedPath result;
  int links = 0;

  while (!pending.empty()) {
    Pending next = std::move(pending.front());
    pending.pop_front();
    if (next.name == ".") continue;
    if (next.name == "..") {
      if (!current.empty()) current.pop_back();  // never above the sysroot, like chroot
      continue;
    }
    current.push_back(next.name);
    std::string img = join_image(current);
    fs::path host = host_of(sysroot, img);
    auto lst = files.lstat(host);
    if (!lst && lst.error() != ENOENT && lst.error() != ENOTDIR && lst.error() != ENAMETOOLONG)
      return std::unexpected(LookupError{lst.error() == ELOOP ? LookupError::Loop : LookupError::Unreadable,
                                         "cannot read " + img + ": " + std::strerror(lst.error())});
    if (!lst) {
      if (next.from_hop >= 0) {
        const SymlinkHop& hop = result.hops[static_cast<size_t>(next.from_hop)];
        return std::unexpected(LookupError{LookupError::Dangling, "symlink " + hop.image_path + " -> " + hop.target +
                                                                      " is dangling (" + img + " does not exist)"});
      }
      return std::unexpected(LookupError{LookupError::NotFound, img + " does not exist"});
    }
    const struct stat& st = *lst;
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinkHops)
        return std::unexpected(LookupError{LookupError::Loop, "too many levels of symbolic links (more than " +
                                                                  std::to_string(kMaxSymlinkHops) + ") resolving " +
                                                                  image_path});
      auto link = files.readlink(host);
      if (!link)
        return std::unexpected(LookupError{LookupError::Unreadable,
                                           "cannot read symlink " + img + ": " + std::strerror(link.error())});
      std::string target = std::move(*link);
      result.hops.push_back({img, target});
      int hop = static_cast<int>(result.hops.size()) - 1;
      current.pop_back();
      if (!target.empty() && target[0] == '/') current.clear();  // absolute: restart at the sysroot
      std::vector<std::string> parts = split_components(target);
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_front({*it, hop});
      continue;
    }
    if (!pending.empty() && !S_ISDIR(st.st_mode))
      return std::unexpected(LookupError{LookupError::NotFound, img + " is not a directory"});
  }

  result.image_path = join_image(current);
  result.host_path = host_of(sysroot, result.image_path);
  // The same link (e.g. /lib) can be crossed twice; the image needs it once.
  std::vector<SymlinkHop> unique;
  for (auto& h : result.hops)
    if (std::none_of(unique.begin(), unique.end(), [&](const SymlinkHop& u) { return u.image_path == h.image_path; }))
      unique.push_back(h);
  result.hops = std::move(unique);
  return result;
}

ResolvedPath resolve_in_sysroot(const fs::path& sysroot, const std::string& image_path, const util::FileSystem& files) {
  auto r = lookup_in_sysroot(sysroot, image_path, files);
  if (!r) {
    std::string where = sysroot == "/" ? "" : " in sysroot " + sysroot.string();
    throw Error("cannot resolve " + image_path + where + ": " + r.error().message, lookup_hint(r.error().kind));
  }
  return std::move(*r);
}

std::vector<std::string> list_image_dir(const fs::path& sysroot, const std::string& image_dir,
                                        const util::FileSystem& files) {
  auto dir = lookup_in_sysroot(sysroot, image_dir, files);
  if (!dir) return {};
  auto names = files.list_dir(dir->host_path);
  if (!names) return {};
  std::sort(names->begin(), names->end());
  return std::move(*names);
}

std::string lookup_hint(LookupError::Kind kind) {
  switch (kind) {
    case LookupError::NotFound: return "";
    case LookupError::Dangling:
    case LookupError::Loop: return "fix the symlink in the sysroot";
    case LookupError::Unreadable: return "make the sysroot readable by the user running slimbuild";
  }
  return "";
}

}  // namespace slimbuild::trace
