// Host files and trees into the Rootfs. The walk uses lstat() on every entry
// and never follows a symlink, so a tree cannot smuggle in files from outside
// itself, and readdir order (which differs between file systems) never
// reaches the image: each directory's names are sorted bytewise first. Every
// host read goes through TreeOptions::filesystem (util::FileSystem).
#include <slimbuild/rootfs/tree.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/file_identity.hpp>

namespace slimbuild::rootfs {

namespace {

struct stat lstat_or_throw(const util::FileSystem& files, const fs::path& p) {
  auto st = files.lstat(p);
  if (!st) throw Error("cannot read " + p.string() + ": " + std::strerror(st.error()));
  return *st;
}

struct stat stat_or_throw(const util::FileSystem& files, const fs::path& p) {
  auto st = files.stat(p);
  if (!st) throw Error("cannot read " + p.string() + ": " + std::strerror(st.error()));
  return *st;
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
bool resolves_inside(const util::FileSystem& files, const fs::path& root, std::vector<std::string> dir,
                     std::string_view target, int hops = 0) {
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
    auto st = files.lstat(host);
    if (!st) {
      physical = false;
      continue;
    }
    if (!S_ISLNK(st->st_mode)) continue;
    if (++hops > 40) return false;
    auto link = files.readlink(host);
    if (!link || link->empty()) return false;
    std::string next = std::move(*link);
    dir.pop_back();
    std::string rest;
    for (size_t r = k + 1; r < todo.size(); ++r) rest += "/" + todo[r];
    if (next[0] == '/') {
      fs::path inside = fs::path(next).lexically_normal().lexically_relative(root.lexically_normal());
      if (inside.empty() || *inside.begin() == "..") return false;
      return resolves_inside(files, root, {}, inside.generic_string() + rest, hops);
    }
    return resolves_inside(files, root, dir, next + rest, hops);
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

// A regular file as an entry, from the stat that selected it.
Entry regular_entry(const fs::path& host_file, const std::string& image_path, uint32_t mode, EntryOrigin origin,
                    const struct stat& st) {
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

void walk(Rootfs& rootfs, const fs::path& root, const fs::path& dir, const std::string& relative_dir,
          const std::string& dest_dir, const TreeOptions& options, const util::FileSystem& files) {
  auto listed = files.list_dir(dir);
  if (!listed) throw Error("cannot list " + dir.string() + ": " + std::strerror(listed.error()));
  std::vector<std::string>& names = *listed;
  std::sort(names.begin(), names.end());

  for (const auto& name : names) {
    fs::path host = dir / name;
    std::string rel = relative_dir.empty() ? name : relative_dir + "/" + name;
    std::string dest = join(dest_dir, name);
    struct stat st = lstat_or_throw(files, host);
    bool is_dir = S_ISDIR(st.st_mode);
    if (options.skip && options.skip(rel, is_dir)) continue;

    if (is_dir) {
      add_directory(rootfs, dest, options.origin);
      walk(rootfs, root, host, rel, dest, options, files);
    } else if (S_ISREG(st.st_mode)) {
      if (options.check_file) {
        util::Fd fd = util::open_checked(host, util::FileIdentity::of(st), root, files);
        options.check_file(host, rel, fd.get());
      }
      uint32_t mode = options.file_mode.value_or((st.st_mode & S_IXUSR) ? 0755u : 0644u);
      // The layer reads exactly what this lstat saw, beneath the root (no
      // second stat: the identity check at the read catches any change).
      Entry e = regular_entry(host, dest, mode, options.origin, st);
      e.source_root = root;
      rootfs.add(std::move(e));
    } else if (S_ISLNK(st.st_mode)) {
      auto read = files.readlink(host);
      if (!read) throw Error("cannot read symlink " + host.string() + ": " + std::strerror(read.error()));
      const std::string& target = *read;
      auto kept = link_inside_tree(root, rel, target, files);
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

uint32_t mode_from_exec_bit(const fs::path& host_file, const util::FileSystem& files) {
  return (stat_or_throw(files, host_file).st_mode & S_IXUSR) ? 0755u : 0644u;
}

Entry file_entry(const fs::path& host_file, const std::string& image_path, uint32_t mode, EntryOrigin origin,
                 const util::FileSystem& files) {
  struct stat st = stat_or_throw(files, host_file);
  if (!S_ISREG(st.st_mode))
    throw Error(host_file.string() + " is " + (S_ISDIR(st.st_mode) ? "a directory" : special_kind(st.st_mode)) +
                ", not a regular file");
  return regular_entry(host_file, image_path, mode, origin, st);
}

std::optional<std::string> link_inside_tree(const fs::path& tree_root, std::string_view link_relative,
                                            const std::string& target, const util::FileSystem& files) {
  if (target.empty()) return std::nullopt;
  std::vector<std::string> link_dir = split(link_relative);
  if (!link_dir.empty()) link_dir.pop_back();

  if (target[0] != '/') {
    // Relative: resolved from the link's directory, and it may not climb
    // above the tree root even if it would come back in. Resolved the way
    // the kernel will, following links met on the way (`e -> d/../x` with
    // `d -> .` climbs out although each text looks inside).
    return resolves_inside(files, tree_root, link_dir, target) ? std::optional<std::string>(target) : std::nullopt;
  }
  // Absolute host path: kept only when it lies inside the tree, rewritten
  // relative to the link so it still works once the tree sits at `dest`.
  fs::path root = tree_root.lexically_normal();
  fs::path abs = fs::path(target).lexically_normal();
  fs::path inside = abs.lexically_relative(root);
  if (inside.empty() || *inside.begin() == "..") {
    auto canonical_root = files.canonical(tree_root);
    if (!canonical_root) return std::nullopt;
    inside = abs.lexically_relative(*canonical_root);
    if (inside.empty() || *inside.begin() == "..") return std::nullopt;
  }
  if (link_dir.empty()) return inside.string();
  fs::path from;
  for (const auto& p : link_dir) from /= p;
  std::string rel = inside.lexically_relative(from).string();
  return rel.empty() ? std::nullopt : std::optional<std::string>(rel);
}

std::string add_from_sysroot(Rootfs& rootfs, const fs::path& sysroot, const std::string& image_path,
                             EntryOrigin origin, const std::vector<std::string>& needed_by,
                             const util::FileSystem& files) {
  trace::ResolvedPath resolved = trace::resolve_in_sysroot(sysroot, image_path, files);
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
  Entry file = file_entry(resolved.host_path, resolved.image_path, mode_from_exec_bit(resolved.host_path, files), origin,
                          files);
  file.needed_by = needed_by;
  rootfs.add(std::move(file));
  return resolved.image_path;
}

void add_tree(Rootfs& rootfs, const fs::path& src, const std::string& dest, const TreeOptions& options) {
  const util::FileSystem& files = options.filesystem ? *options.filesystem : util::real_filesystem();
  struct stat st = lstat_or_throw(files, src);
  if (!S_ISDIR(st.st_mode)) {
    // The root may be named through a symlink (e.g. /usr/share/zoneinfo).
    auto followed = files.stat(src);
    if (!followed || !S_ISDIR(followed->st_mode)) throw Error(src.string() + " is not a directory");
  }
  if (dest != "/") add_directory(rootfs, dest, options.origin);  // the image root is implicit
  walk(rootfs, src, src, "", dest, options, files);
}

}  // namespace slimbuild::rootfs
