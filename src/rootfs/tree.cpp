// Host files and trees into the Rootfs. The walk never follows a symlink
// (every entry is lstat'ed, or, for a regular file the listing names, opened
// beneath the root with no link followed and fstat'ed), so a tree cannot
// smuggle in files from outside itself, and readdir order (which differs between file systems) never
// reaches the image: each directory's names are sorted bytewise first. Every
// host read goes through TreeOptions::filesystem (util::FileSystem).
#include <slimbuild/rootfs/tree.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/file_identity.hpp>
#include <slimbuild/util/threads.hpp>

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

Error changed_while_read(const fs::path& host) {
  return Error(host.string() + " changed while it was being read",
               "make sure nothing modifies the inputs during the build, then run it again");
}

// A regular file the walk found. Its stat and, when it is small enough to
// be held, its bytes come from one pass over a batch of them on all cores
// (on a tree of 50,000 small files the opens and reads were most of the
// rootfs stage); what is held is then decided in walk order.
struct FileJob {
  fs::path host;
  std::string rel, dest;
  std::optional<util::FileIdentity> listed;  // what an lstat saw, when the listing did not say the kind
  struct stat st {};
  std::string bytes;    // the whole file, when `whole`
  bool whole = false;
  std::exception_ptr error{};
  bool checked = false;  // check_file ran on the reader thread
};

// Opens the file beneath the root (no link followed, non-blocking), reads up
// to `max` + 1 bytes, then fstat: the stat describes the bytes (a write
// during the read changes its size or time, and is refused when it shows).
util::Fd stat_and_read(FileJob& job, const util::OpenRoot& root, std::size_t max, const util::FileSystem& files) {
  util::Fd fd = util::open_beneath(root, job.rel, files);
  thread_local std::vector<char> buf;
  buf.resize(max + 1);
  std::size_t have = 0;
  int read_error = 0;
  auto read_more = [&](bool stop_when_short) {
    for (;;) {
      const std::size_t want = buf.size() - have;
      ssize_t n = ::pread(fd.get(), buf.data() + have, want, static_cast<off_t>(have));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) read_error = errno;
      if (n <= 0) return;
      have += static_cast<std::size_t>(n);
      if (have == buf.size()) return;  // more than `max`: the layer reads it
      if (stop_when_short && static_cast<std::size_t>(n) < want) return;
    }
  };
  // A regular file reads short only at its end: one call for a small file.
  read_more(true);
  auto st = files.fstat(fd.get());
  if (st && S_ISREG(st->st_mode) && !read_error && have < buf.size() &&
      have < static_cast<std::size_t>(st->st_size)) {
    // Short before the end (some network file systems do that): read on,
    // then stat again so the stat still follows the read.
    const util::FileIdentity first = util::FileIdentity::of(*st);
    read_more(false);
    st = files.fstat(fd.get());
    if (st && !(util::FileIdentity::of(*st) == first)) throw changed_while_read(job.host);
  }
  if (!st) throw Error("cannot stat " + job.host.string() + ": " + std::strerror(st.error()));
  if (!S_ISREG(st->st_mode))
    throw Error(job.host.string() + " is " + (S_ISDIR(st->st_mode) ? "a directory" : special_kind(st->st_mode)) +
                    " now; it was a regular file when its directory was listed",
                "make sure nothing modifies the inputs during the build, then run it again");
  if (job.listed && !(*job.listed == util::FileIdentity::of(*st)))
    throw Error(job.host.string() + " changed between the check and the read (" +
                    job.listed->difference(util::FileIdentity::of(*st)) + ")",
                "make sure nothing modifies the inputs during the build, then run it again");
  if (read_error) throw Error("cannot read " + job.host.string() + ": " + std::strerror(read_error));
  job.st = *st;
  const auto size = static_cast<std::size_t>(st->st_size);
  if (have <= max) {
    if (have != size) throw changed_while_read(job.host);
    job.bytes.assign(buf.data(), have);
    job.whole = true;
  } else if (size <= max) {
    throw changed_while_read(job.host);  // it grew during the read
  }
  return fd;
}

class FileBatch {
 public:
  static constexpr std::size_t kSize = 512;  // at most kSize * file_max bytes read ahead

  FileBatch(Rootfs& rootfs, const util::OpenRoot& root, const TreeOptions& options, const util::FileSystem& files)
      : rootfs_(rootfs), root_(root), root_path_(std::make_shared<const fs::path>(root.path)), options_(options),
        files_(files) {}

  // The tree root every entry of this walk shares (Entry::source_root).
  const std::shared_ptr<const fs::path>& root_path() const { return root_path_; }

  void add(FileJob job) {
    jobs_.push_back(std::move(job));
    if (jobs_.size() == kSize) flush();
  }

  void flush() {
    read_all();
    for (FileJob& job : jobs_) finish(job);
    jobs_.clear();
  }

 private:
  // Every job's stat and bytes, on up to 4 threads; the first failure in
  // walk order is the one reported.
  void read_all() {
    const std::size_t n = jobs_.size();
    const std::size_t max = options_.hold && options_.hold->left > 0 ? options_.hold->file_max : 0;
    std::atomic<std::size_t> next{0}, first_error{n};
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) {
        if (i > first_error.load()) return;
        try {
          FileJob& job = jobs_[i];
          util::Fd fd = stat_and_read(job, root_, max, files_);
          // Too big to hold: checked here, on the descriptor just read and
          // fstat'ed, if the check may run beside the others.
          if (!job.whole && options_.check_file && options_.check_file_concurrently) {
            options_.check_file(job.host, job.rel, fd.get(), nullptr);
            job.checked = true;
          }
        } catch (...) {
          jobs_[i].error = std::current_exception();
          for (std::size_t seen = first_error.load(); i < seen && !first_error.compare_exchange_weak(seen, i);) {
          }
        }
      }
    };
    const unsigned threads =
        files_.concurrent() && n >= 64 ? std::clamp(std::thread::hardware_concurrency(), 1u, 4u) : 1u;
    std::vector<std::jthread> helpers;
    util::add_helpers(helpers, threads - 1, work);
    work();
  }

  void finish(FileJob& job) {
    if (job.error) std::rethrow_exception(job.error);
    uint32_t mode = options_.file_mode.value_or((job.st.st_mode & S_IXUSR) ? 0755u : 0644u);
    // Held: the bytes read above ship, and the layer never opens the file.
    // Otherwise the layer reads exactly what this stat saw, beneath the root
    // (its identity check catches any change).
    Entry e = regular_entry(job.host, job.dest, mode, options_.origin, job.st);
    e.source_root = root_path_;
    HoldBudget* hold = options_.hold;
    const auto size = static_cast<std::size_t>(job.st.st_size);
    if (job.whole && size <= hold->left) {
      hold->left -= size;  // taken in walk order, so the same files are held on every run
      e.content = std::move(job.bytes);
      e.held = true;
      if (options_.check_file) options_.check_file(job.host, job.rel, -1, &e.content);
    } else if (options_.check_file && !job.checked) {
      util::Fd fd = util::open_checked(job.host, util::FileIdentity::of(job.st), root_, files_);
      options_.check_file(job.host, job.rel, fd.get(), nullptr);
    }
    rootfs_.add(std::move(e));
  }

  Rootfs& rootfs_;
  const util::OpenRoot& root_;
  std::shared_ptr<const fs::path> root_path_;
  const TreeOptions& options_;
  const util::FileSystem& files_;
  std::vector<FileJob> jobs_;
};

void walk(Rootfs& rootfs, FileBatch& batch, const util::OpenRoot& root, const fs::path& dir,
          const std::string& relative_dir, const std::string& dest_dir, const TreeOptions& options,
          const util::FileSystem& files) {
  auto listed = files.list_dir_kinds(dir);
  if (!listed) throw Error("cannot list " + dir.string() + ": " + std::strerror(listed.error()));
  std::vector<util::Listed>& names = *listed;
  std::sort(names.begin(), names.end(), [](const util::Listed& a, const util::Listed& b) { return a.name < b.name; });

  for (const auto& [name, kind] : names) {
    fs::path host = dir / name;
    std::string rel = relative_dir.empty() ? name : relative_dir + "/" + name;
    std::string dest = join(dest_dir, name);
    if (kind == util::ListedKind::Regular && options.hold) {
      // No lstat: the batch's fstat of the opened file is the stat.
      if (options.skip && options.skip(rel, false)) continue;
      batch.add(FileJob{std::move(host), std::move(rel), std::move(dest), std::nullopt, {}, {}, false, {}});
      continue;
    }
    struct stat st = lstat_or_throw(files, host);
    bool is_dir = S_ISDIR(st.st_mode);
    if (options.skip && options.skip(rel, is_dir)) continue;

    if (is_dir) {
      add_directory(rootfs, dest, options.origin);
      walk(rootfs, batch, root, host, rel, dest, options, files);
    } else if (S_ISREG(st.st_mode)) {
      if (options.hold) {
        batch.add(FileJob{std::move(host), std::move(rel), std::move(dest), util::FileIdentity::of(st), {}, {}, false, {}});
        continue;
      }
      uint32_t mode = options.file_mode.value_or((st.st_mode & S_IXUSR) ? 0755u : 0644u);
      // The layer reads exactly what this lstat saw, beneath the root (no
      // second stat: the identity check at the read catches any change).
      Entry e = regular_entry(host, dest, mode, options.origin, st);
      e.source_root = batch.root_path();
      if (options.check_file) {
        util::Fd fd = util::open_checked(host, util::FileIdentity::of(st), root, files);
        options.check_file(host, rel, fd.get(), nullptr);
      }
      rootfs.add(std::move(e));
    } else if (S_ISLNK(st.st_mode)) {
      auto read = files.readlink(host);
      if (!read) throw Error("cannot read symlink " + host.string() + ": " + std::strerror(read.error()));
      const std::string& target = *read;
      auto kept = link_inside_tree(root.path, rel, target, files);
      if (!kept)
        throw Error("symlink " + host.string() + " -> " + target + " points outside " + root.path.string(),
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
  // Held open for the whole walk: each file is opened beneath it in one call.
  const util::OpenRoot root = util::open_root(src, files);
  FileBatch batch(rootfs, root, options, files);
  walk(rootfs, batch, root, src, "", dest, options, files);
  batch.flush();
}

}  // namespace slimbuild::rootfs
