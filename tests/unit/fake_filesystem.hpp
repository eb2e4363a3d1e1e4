// A util::FileSystem held in memory, for tests of trace and rootfs: the test
// adds files, directories, symlinks, fifos and sockets by absolute path
// (parents appear as directories), injects an errno for a path and what lies
// below it (EACCES on a directory, ELOOP, EIO), can run a hook before every
// open (to replace a file between a walk's lstat and its open), and reads the
// number of calls per operation and per path afterwards ("read once").
//
// Paths resolve like the kernel's: every component, symlinks followed
// (relative to the link's directory, absolute from "/"), ELOOP after 40
// links, ENOTDIR through a file. Opened files are real descriptors (memfd)
// holding the contents, so pread works; fstat answers with the fake's own
// inode and times, as of the open. list_dir yields names in REVERSE order on
// purpose: a caller that forgets to sort is caught.
#pragma once

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <slimbuild/util/filesystem.hpp>

namespace fake_fs {

namespace fs = std::filesystem;
using slimbuild::util::Fd;
using slimbuild::util::FinalLink;

enum Op : unsigned {
  kLstat = 1, kStat = 2, kFstat = 4, kReadlink = 8, kListDir = 16, kOpen = 32, kOpenBeneath = 64, kReadFile = 128,
  kCanonical = 256, kOpenRoot = 512,
  kAll = 1023,
};

class FakeFileSystem : public slimbuild::util::FileSystem {
 public:
  // ---- building the tree ----------------------------------------------------
  void add_dir(const fs::path& path, mode_t perm = 0755) { put(path, Node(S_IFDIR | perm)); }
  void add_file(const fs::path& path, std::string content, mode_t perm = 0644) {
    Node n(S_IFREG | perm);
    n.content = std::move(content);
    put(path, std::move(n));
  }
  void add_symlink(const fs::path& path, std::string target) {
    Node n(S_IFLNK | 0777);
    n.target = std::move(target);
    put(path, std::move(n));
  }
  void add_fifo(const fs::path& path) { put(path, Node(S_IFIFO | 0644)); }
  void add_socket(const fs::path& path) { put(path, Node(S_IFSOCK | 0755)); }
  void remove(const fs::path& path) {
    std::string p = key(path);
    for (auto it = nodes_.begin(); it != nodes_.end();)
      it = (it->first == p || it->first.rfind(p + "/", 0) == 0) ? nodes_.erase(it) : std::next(it);
  }
  // Every operation in `ops` on `path` or below it fails with `err`.
  void fail(const fs::path& path, int err, unsigned ops = kAll) { errors_[key(path)] = {err, ops}; }

  // Called with the path before open_read / open_beneath (root/relative) / read_file.
  std::function<void(const fs::path&)> before_open;

  // ---- what happened ----------------------------------------------------------
  int calls(unsigned op) const {
    int n = 0;
    for (const auto& [k, v] : counts_)
      if (k.first & op) n += v;
    return n;
  }
  int calls(unsigned op, const fs::path& path) const {
    int n = 0;
    for (const auto& [k, v] : counts_)
      if ((k.first & op) && k.second == key(path)) n += v;
    return n;
  }

  // ---- util::FileSystem ---------------------------------------------------------
  std::expected<struct stat, int> lstat(const fs::path& path) const override { return stat_op(kLstat, path, false); }
  std::expected<struct stat, int> stat(const fs::path& path) const override { return stat_op(kStat, path, true); }
  std::expected<struct stat, int> fstat(int fd) const override {
    counts_[{kFstat, "fd"}]++;
    auto it = open_.find(fd);
    if (it == open_.end()) return std::unexpected(EBADF);
    return it->second;
  }
  std::expected<std::string, int> readlink(const fs::path& path) const override {
    count(kReadlink, path);
    if (int e = injected(path, kReadlink)) return std::unexpected(e);
    auto r = resolve(path, false);
    if (!r) return std::unexpected(r.error());
    if (!S_ISLNK(r.value()->second.mode)) return std::unexpected(EINVAL);
    return r.value()->second.target;
  }
  std::expected<std::vector<std::string>, int> list_dir(const fs::path& dir) const override {
    count(kListDir, dir);
    if (int e = injected(dir, kListDir)) return std::unexpected(e);
    auto r = resolve(dir, true);
    if (!r) return std::unexpected(r.error());
    if (!S_ISDIR(r.value()->second.mode)) return std::unexpected(ENOTDIR);
    std::string prefix = r.value()->first == "/" ? "/" : r.value()->first + "/";
    std::vector<std::string> names;
    for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.rfind(prefix, 0) == 0; ++it)
      if (it->first.size() > prefix.size() && it->first.find('/', prefix.size()) == std::string::npos)
        names.insert(names.begin(), it->first.substr(prefix.size()));  // reverse order, see above
    return names;
  }
  std::expected<Fd, int> open_read(const fs::path& file, FinalLink final_link) const override {
    count(kOpen, file);
    if (before_open) before_open(file);
    if (int e = injected(file, kOpen)) return std::unexpected(e);
    auto r = resolve(file, final_link == FinalLink::Follow);
    if (!r) return std::unexpected(r.error());
    if (S_ISLNK(r.value()->second.mode)) return std::unexpected(ELOOP);
    return open_node(r.value()->second);
  }
  std::expected<Fd, int> open_beneath(const fs::path& root, const fs::path& relative) const override {
    fs::path full = root / relative;
    count(kOpenBeneath, full);
    if (before_open) before_open(full);
    if (int e = injected(full, kOpenBeneath)) return std::unexpected(e);
    auto base = resolve(root, true);
    if (!base) return std::unexpected(base.error());
    std::string at = base.value()->first;
    bool any = false;
    for (const auto& part : relative.lexically_normal()) {
      std::string s = part.string();
      if (s.empty() || s == ".") continue;
      if (s == ".." || s == "/") return std::unexpected(EXDEV);
      auto dir = nodes_.find(at);
      if (dir == nodes_.end()) return std::unexpected(ENOENT);
      if (S_ISLNK(dir->second.mode)) return std::unexpected(ELOOP);
      if (!S_ISDIR(dir->second.mode)) return std::unexpected(ELOOP);
      at = at == "/" ? "/" + s : at + "/" + s;
      any = true;
    }
    if (!any) return std::unexpected(EINVAL);
    auto it = nodes_.find(at);
    if (it == nodes_.end()) return std::unexpected(ENOENT);
    if (S_ISLNK(it->second.mode)) return std::unexpected(ELOOP);
    return open_node(it->second);
  }
  // The root is only resolved here; each open_beneath from it walks the
  // tree by path again (the fake has no descriptors for directories).
  std::expected<slimbuild::util::OpenRoot, int> open_root(const fs::path& root) const override {
    count(kOpenRoot, root);
    if (int e = injected(root, kOpenRoot)) return std::unexpected(e);
    auto r = resolve(root, true);
    if (!r) return std::unexpected(r.error());
    if (!S_ISDIR(r.value()->second.mode)) return std::unexpected(ENOTDIR);
    return slimbuild::util::OpenRoot{root, Fd()};
  }
  std::expected<Fd, int> open_beneath(const slimbuild::util::OpenRoot& root, const fs::path& relative) const override {
    return open_beneath(root.path, relative);
  }
  std::expected<fs::path, int> canonical(const fs::path& path) const override {
    count(kCanonical, path);
    if (int e = injected(path, kCanonical)) return std::unexpected(e);
    auto r = resolve(path, true);
    if (!r) return std::unexpected(r.error());
    return fs::path(r.value()->first);
  }
  std::expected<std::string, int> read_file(const fs::path& file, std::size_t max_bytes) const override {
    count(kReadFile, file);
    if (before_open) before_open(file);
    if (int e = injected(file, kReadFile)) return std::unexpected(e);
    auto r = resolve(file, true);
    if (!r) return std::unexpected(r.error());
    const Node& n = r.value()->second;
    if (S_ISDIR(n.mode)) return std::unexpected(EISDIR);
    if (!S_ISREG(n.mode)) return std::unexpected(EINVAL);
    if (n.content.size() > max_bytes) return std::unexpected(EFBIG);
    return n.content;
  }

 private:
  struct Node {
    explicit Node(mode_t m = 0, uint64_t i = 0) : mode(m), ino(i) {}
    mode_t mode;
    std::string content, target;
    uint64_t ino;
  };
  using Nodes = std::map<std::string, Node>;

  static std::string key(const fs::path& path) {
    std::string s = fs::path("/" / path.relative_path()).lexically_normal().generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
  }

  void put(const fs::path& path, Node n) {
    std::string p = key(path);
    for (fs::path parent = fs::path(p).parent_path(); !parent.empty(); parent = parent.parent_path()) {
      std::string k = key(parent);
      if (!nodes_.count(k)) nodes_[k] = Node(S_IFDIR | 0755, ++next_ino_);
      if (k == "/") break;
    }
    n.ino = ++next_ino_;  // a replaced path is another file, as after rename(2)
    nodes_[p] = std::move(n);
  }

  void count(unsigned op, const fs::path& path) const { counts_[{op, key(path)}]++; }

  std::expected<struct stat, int> stat_op(unsigned op, const fs::path& path, bool follow) const {
    count(op, path);
    if (int e = injected(path, op)) return std::unexpected(e);
    auto r = resolve(path, follow);
    if (!r) return std::unexpected(r.error());
    return stat_of(r.value()->second);
  }

  int injected(const fs::path& path, unsigned op) const {
    std::string p = key(path);
    for (const auto& [k, e] : errors_)
      if ((e.second & op) && (p == k || p.rfind(k == "/" ? "/" : k + "/", 0) == 0)) return e.first;
    return 0;
  }

  // The node `path` names, following symlinks (the last one only if asked).
  std::expected<Nodes::const_iterator, int> resolve(const fs::path& path, bool follow_last) const {
    std::vector<std::string> todo;
    for (const auto& part : fs::path(key(path)).relative_path()) todo.push_back(part.string());
    std::string at = "/";
    int links = 0;
    for (size_t i = 0; i < todo.size(); ++i) {
      const std::string& part = todo[i];
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        at = key(fs::path(at).parent_path());
        continue;
      }
      std::string next = at == "/" ? "/" + part : at + "/" + part;
      auto it = nodes_.find(next);
      if (it == nodes_.end()) return std::unexpected(ENOENT);
      bool last = i + 1 == todo.size();
      if (S_ISLNK(it->second.mode) && (!last || follow_last)) {
        if (++links > 40) return std::unexpected(ELOOP);
        fs::path target = it->second.target;
        std::vector<std::string> rest;
        for (const auto& t : target.relative_path()) rest.push_back(t.string());
        rest.insert(rest.end(), todo.begin() + static_cast<std::ptrdiff_t>(i) + 1, todo.end());
        todo = std::move(rest);
        i = static_cast<size_t>(-1);
        if (target.is_absolute()) at.assign(1, '/');  // assign(1, c): gcc 12 warns (-Wrestrict) on = "/" here
        continue;
      }
      if (!last && !S_ISDIR(it->second.mode) && !S_ISLNK(it->second.mode)) return std::unexpected(ENOTDIR);
      at = next;
    }
    auto it = nodes_.find(at);
    if (it == nodes_.end()) {
      if (at != "/") return std::unexpected(ENOENT);
      nodes_["/"] = Node(S_IFDIR | 0755, ++next_ino_);
      it = nodes_.find("/");
    }
    return Nodes::const_iterator(it);
  }

  static struct stat stat_of(const Node& n) {
    struct stat st {};
    st.st_dev = 7;
    st.st_ino = n.ino;
    st.st_mode = n.mode;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(S_ISLNK(n.mode) ? n.target.size() : n.content.size());
    st.st_mtim.tv_sec = 1700000000;
    st.st_mtim.tv_nsec = static_cast<long>(n.ino);
    return st;
  }

  std::expected<Fd, int> open_node(const Node& n) const {
    if (S_ISSOCK(n.mode)) return std::unexpected(ENXIO);  // open(2) of a socket
    Fd fd(::memfd_create("fake-file", MFD_CLOEXEC));
    if (!fd) return std::unexpected(errno);
    for (size_t done = 0; done < n.content.size();) {
      ssize_t w = ::write(fd.get(), n.content.data() + done, n.content.size() - done);
      if (w <= 0) throw std::runtime_error("fake file system: cannot fill a memfd");
      done += static_cast<size_t>(w);
    }
    open_[fd.get()] = stat_of(n);
    return fd;
  }

  mutable Nodes nodes_;  // "/" appears on first use
  std::map<std::string, std::pair<int, unsigned>> errors_;
  mutable std::map<std::pair<unsigned, std::string>, int> counts_;
  mutable std::map<int, struct stat> open_;
  mutable uint64_t next_ino_ = 0;
};

}  // namespace fake_fs
