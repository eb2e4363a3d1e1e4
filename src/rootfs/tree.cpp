// Host files and trees into the Rootfs. The walk uses lstat() on every entry
// and never follows a symlink, so a tree cannot smuggle in files from outside
// itself, and readdir order (which differs between file systems) never
// reaches the image: each directory's names are sorted bytewise first.
#include <slimbuild/rootfs/tree.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/file_identity.hpp>

namespace slimbuild::rootfs {

namespace {

struct stat lstat_or_throw(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) throw Error("cannot read " + p.string() + ": " + std::strerror(errno));
  return st;
}

const char* special_kind(mode_t m) {
  if (S_ISFIFO(m)) return "a named pipe (fifo)";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "an unsupported file type";
}

std::string join(const std::string& dir, std::string_view name) {
  return dir == "/" ? "/" + std::string(name) : dir + "/" + std::string(name);
}

// "a/./b/../c" -> {"a","c"}; nullopt when ".." climbs above the start.
std::optional<std::vector<std::string>> lexical_parts(const std::vector<std::string>& base, std::string_view rel) {
  std::vector<std::string> parts = base;
  size_t i = 0;
  while (i <= rel.size()) {
    size_t j = rel.find('/', i);
    if (j == std::string_view::npos) j = rel.size();
    std::string_view part = rel.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else {
      parts.emplace_back(part);
    }
  }
  return parts;
}

// Walks `target` from `dir` (components below `root`), following symlinks
// found in the tree (absolute ones must name a path inside it). False when a
// ".." would leave the tree or the links loop; a missing component ends the
// walk lexically (a dangling link is harmless here).
bool resolves_inside(const fs::path& root, std::vector<std::string> dir, std::string_view target, int hops = 0) {
  std::vector<std::string> todo;
  for (size_t i = 0; i <= target.size();) {
    size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    if (j > i) todo.emplace_back(target.substr(i, j - i));
    i = j + 1;
  }
  bool physical = true;  // still walking real entries (not past a missing one)
  for (size_t k = 0; k < todo.size(); ++k) {
    const std::string& part = todo[k];
    if (part == ".") continue;
    if (part == "..") {
      if (dir.empty()) return false;
      dir.pop_back();
      continue;
    }
    dir.push_back(part);
    if (!physical) continue;
    fs::path host = root;
    for (const auto& d : dir) host /= d;
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) {
      physical = false;
      continue;
    }
    if (!S_ISLNK(st.st_mode)) continue;
    if (++hops > 40) return false;
    std::error_code ec;
    std::string next = fs::read_symlink(host, ec).string();
    if (ec || next.empty()) return false;
    dir.pop_back();
    std::string rest;
    for (size_t r = k + 1; r < todo.size(); ++r) rest += "/" + todo[r];
    if (next[0] == '/') {
      fs::path inside = fs::path(next).lexically_normal().lexically_relative(root.lexically_normal());
      if (inside.empty() || *inside.begin() == "..") return false;
      return resolves_inside(root, {}, inside.generic_string() + rest, hops);
    }
    return resolves_inside(root, dir, next + rest, hops);
  }
  return true;
}

std::vector<std::string> split(std::string_view rel) { return lexical_parts({}, rel).value_or(std::vector<std::string>{}); }

// A tree merges into directories that already exist (like `COPY dir/ /`):
// /tmp keeps its sticky bit and the home keeps its owner.
void add_directory(Rootfs& rootfs, const std::string& path, EntryOrigin origin) {
  const Entry* existing = rootfs.find(path);
  if (existing && existing->type == EntryType::Directory && existing->origin != EntryOrigin::ImplicitDirectory) return;
  Entry e;
  e.path = path;
  e.type = EntryType::Directory;
  e.mode = 0755;
  e.origin = origin;
  rootfs.add(std::move(e));
}

void walk(Rootfs& rootfs, const fs::path& root, const fs::path& dir, const std::string& relative_dir,
          const std::string& dest_dir, const TreeOptions& options) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) throw Error("cannot list " + dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());

  for (const auto& name : names) {
    fs::path host = dir / name;
    std::string rel = relative_dir.empty() ? name : relative_dir + "/" + name;
    std::string dest = join(dest_dir, name);
    struct stat st = lstat_or_throw(host);
    bool is_dir = S_ISDIR(st.st_mode);
    if (options.skip && options.skip(rel, is_dir)) continue;

    if (is_dir) {
      add_directory(rootfs, dest, options.origin);
      walk(rootfs, root, host, rel, dest, options);
    } else if (S_ISREG(st.st_mode)) {
      if (options.check_file) {
        util::Fd fd = util::open_checked(host, util::FileIdentity::of(st), root);
        options.check_file(host, rel, fd.get());
      }
      uint32_t mode = options.file_mode.value_or((st.st_mode & S_IXUSR) ? 0755u : 0644u);
      Entry e = file_entry(host, dest, mode, options.origin);
      e.size = static_cast<uint64_t>(st.st_size);
      // The layer reads exactly what this lstat saw, beneath the root.
      e.identity = util::FileIdentity::of(st);
      e.source_root = root;
      rootfs.add(std::move(e));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target = fs::read_symlink(host).string();
      auto kept = link_inside_tree(root, rel, target);
      if (!kept)
        throw Error("symlink " + host.string() + " -> " + target + " points outside " + root.string(),
                    "only links that stay inside a files: tree are kept; copy the target into the tree, "
                    "list it as its own files: entry, or exclude the link");
      Entry e;
      e.path = dest;
      e.type = EntryType::Symlink;
      e.mode = 0777;
      e.link_target = *kept;
      e.origin = options.origin;
      rootfs.add(std::move(e));
    } else {
      throw Error(host.string() + " is " + special_kind(st.st_mode) + "; an image can only hold regular files, "
                  "directories and symlinks", "remove it from the tree or add it to exclude:");
    }
  }
}

}  // namespace

uint32_t mode_from_exec_bit(const fs::path& host_file) {
  struct stat st {};
  if (::stat(host_file.c_str(), &st) != 0)
    throw Error("cannot read " + host_file.string() + ": " + std::strerror(errno));
  return (st.st_mode & S_IXUSR) ? 0755u : 0644u;
}

Entry file_entry(const fs::path& host_file, const std::string& image_path, uint32_t mode, EntryOrigin origin) {
  struct stat st {};
  if (::stat(host_file.c_str(), &st) != 0)
    throw Error("cannot read " + host_file.string() + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw Error(host_file.string() + " is " + (S_ISDIR(st.st_mode) ? "a directory" : special_kind(st.st_mode)) +
                ", not a regular file");
  Entry e;
  e.path = image_path;
  e.type = EntryType::File;
  e.mode = mode & 0777u;  // never setuid/setgid/sticky, whatever the host or manifest says
  e.source = host_file;
  e.size = static_cast<uint64_t>(st.st_size);
  e.identity = util::FileIdentity::of(st);
  e.origin = origin;
  return e;
}

std::optional<std::string> link_inside_tree(const fs::path& tree_root, std::string_view link_relative,
                                            const std::string& target) {
  if (target.empty()) return std::nullopt;
  std::vector<std::string> link_dir = split(link_relative);
  if (!link_dir.empty()) link_dir.pop_back();

  if (target[0] != '/') {
    // Relative: resolved from the link's directory, and it may not climb
    // above the tree root even if it would come back in. Resolved the way
    // the kernel will, following links met on the way (`e -> d/../x` with
    // `d -> .` climbs out although each text looks inside).
    return resolves_inside(tree_root, link_dir, target) ? std::optional<std::string>(target) : std::nullopt;
  }
  // Absolute host path: kept only when it lies inside the tree, rewritten
  // relative to the link so it still works once the tree sits at `dest`.
  fs::path root = tree_root.lexically_normal();
  fs::path abs = fs::path(target).lexically_normal();
  fs::path inside = abs.lexically_relative(root);
  if (inside.empty() || *inside.begin() == "..") {
    std::error_code ec;
    fs::path canonical_root = fs::weakly_canonical(tree_root, ec);
    if (ec) return std::nullopt;
    inside = abs.lexically_relative(canonical_root);
    if (inside.empty() || *inside.begin() == "..") return std::nullopt;
  }
  if (link_dir.empty()) return inside.string();
  fs::path from;
  for (const auto& p : link_dir) from /= p;
  std::string rel = inside.lexically_relative(from).string();
  return rel.empty() ? std::nullopt : std::optional<std::string>(rel);
}

std::string add_from_sysroot(Rootfs& rootfs, const fs::path& sysroot, const std::string& image_path,
                             EntryOrigin origin, const std::vector<std::string>& needed_by) {
  trace::ResolvedPath resolved = trace::resolve_in_sysroot(sysroot, image_path);
  for (const auto& hop : resolved.hops) {
    Entry link;
    link.path = hop.image_path;
    link.type = EntryType::Symlink;
    link.mode = 0777;
    link.link_target = hop.target;
    link.origin = origin;
    link.needed_by = needed_by;
    rootfs.add(std::move(link));
  }
  Entry file = file_entry(resolved.host_path, resolved.image_path, mode_from_exec_bit(resolved.host_path), origin);
  file.needed_by = needed_by;
  rootfs.add(std::move(file));
  return resolved.image_path;
}

void add_tree(Rootfs& rootfs, const fs::path& src, const std::string& dest, const TreeOptions& options) {
  struct stat st = lstat_or_throw(src);
  if (!S_ISDIR(st.st_mode)) {
    // The root may be named through a symlink (e.g. /usr/share/zoneinfo).
    struct stat followed {};
    if (::stat(src.c_str(), &followed) != 0 || !S_ISDIR(followed.st_mode))
      throw Error(src.string() + " is not a directory");
  }
  if (dest != "/") add_directory(rootfs, dest, options.origin);  // the image root is implicit
  walk(rootfs, src, src, "", dest, options);
}

}  // namespace slimbuild::rootfs
