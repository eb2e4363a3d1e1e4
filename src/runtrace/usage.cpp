// The rules that turn a recorded run into manifest lines (see usage.hpp).
#include <slimbuild/runtrace/usage.hpp>

#include <cerrno>
#include <fstream>
#include <map>

#include "runtrace/paths.hpp"

namespace slimbuild::runtrace {

namespace {

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// What the program itself made: successful writes and creations. A
// directory it created covers everything below it.
struct Writes {
  std::set<std::string> paths, dirs;
  explicit Writes(const RunRecord& run) {
    for (const auto& e : run.events)
      if (e.writes && e.error == 0) (e.op == Op::Modify ? dirs : paths).insert(e.path);
    // mkdir/rename/link targets are listed in `dirs` so that anything below
    // them counts as written too; a plain file there still matches exactly.
  }
  bool covers(const std::string& path) const {
    if (paths.count(path)) return true;
    for (std::string p = path;; p = parent_of(p)) {
      if (dirs.count(p)) return true;
      if (p == "/") return false;
    }
  }
};

// The first program the run executed is the manifest's binary.
std::string first_exec(const RunRecord& run) {
  for (const auto& e : run.events)
    if (e.op == Op::Exec && e.error == 0) return e.path;
  return {};
}

}  // namespace

bool is_ignored_path(const std::string& path) {
  for (const char* dir : {"/proc", "/sys", "/dev"})
    if (is_under(path, dir)) return true;
  for (const char* generated : {"/", "/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/passwd", "/etc/group",
                                "/etc/nsswitch.conf"})
    if (path == generated) return true;
  return false;
}

Proposal propose(const RunRecord& run, const HostView& host, const std::function<bool(const std::string&)>& present) {
  Writes writes(run);
  std::set<std::string> used, executed;
  for (const auto& e : run.events) {
    if (e.error != 0 || e.writes || e.op == Op::Modify) continue;
    used.insert(e.path);
    if (e.op == Op::Exec) executed.insert(e.path);
  }
  used.insert(run.mapped.begin(), run.mapped.end());
  std::string program = first_exec(run);

  Proposal out;
  out.used_paths = used.size();
  std::set<std::string> data, seen_real;
  for (const auto& path : used) {
    if (path.empty() || is_ignored_path(path) || writes.covers(path)) continue;
    if (path == program) {
      out.used_files.push_back(path);
      continue;
    }
    if (host.kind(path) != HostKind::File) continue;  // directories come with their files; gone = a temp file
    out.used_files.push_back(path);
    std::string real = host.real_path(path);
    if (present(path) || present(real) || real == host.real_path(program)) continue;
    if (!seen_real.insert(real).second) continue;  // one entry per real file (/lib/x and /usr/lib/x)
    if (executed.count(path))
      out.binaries.push_back(FileLine{path, path, false, true});
    else if (host.is_shared_object(path))
      out.libraries.push_back(path);
    else
      data.insert(path);
  }

  // A directory becomes one entry when every file below it was used; the
  // highest such directory wins, climbing only while the parent qualifies.
  std::map<std::string, bool> whole;
  auto qualifies = [&](const std::string& dir) {
    auto it = whole.find(dir);
    if (it != whole.end()) return it->second;
    auto n = host.for_each_file(dir, [&](const std::string& f) { return data.count(f) != 0; });
    bool ok = n && *n >= 2;
    whole[dir] = ok;
    return ok;
  };
  std::set<std::string> trees;
  for (const auto& f : data) {
    std::string group;
    for (std::string dir = parent_of(f); dir != "/" && parent_of(dir) != "/" && qualifies(dir); dir = parent_of(dir))
      group = dir;
    if (!group.empty()) trees.insert(group);
  }
  // Drop trees inside other trees (two files climbing to different heights).
  for (auto it = trees.begin(); it != trees.end();) {
    bool inner = false;
    for (const auto& t : trees)
      if (t != *it && is_under(*it, t)) inner = true;
    it = inner ? trees.erase(it) : std::next(it);
  }
  for (const auto& t : trees) out.files.push_back(FileLine{t + "/", t + "/", true, false});
  for (const auto& f : data) {
    bool in_tree = false;
    for (const auto& t : trees)
      if (is_under(f, t)) in_tree = true;
    if (!in_tree) out.files.push_back(FileLine{f, f, false, false});
  }
  std::sort(out.files.begin(), out.files.end(), [](const FileLine& a, const FileLine& b) { return a.src < b.src; });
  std::sort(out.libraries.begin(), out.libraries.end());
  return out;
}

std::vector<std::string> missing(const RunRecord& run, const HostView& host) {
  Writes writes(run);
  std::set<std::string> out;
  for (const auto& e : run.events) {
    if (e.error != ENOENT && e.error != ENOTDIR) continue;
    if (e.op == Op::Modify || e.writes || e.path.empty() || is_ignored_path(e.path)) continue;
    if (writes.covers(e.path) || !host.exists(e.path)) continue;
    out.insert(e.path);
  }
  return {out.begin(), out.end()};
}

Proposal propose_missing(const std::vector<std::string>& paths, const HostView& host) {
  Proposal out;
  for (const auto& p : paths) {
    // A missing directory is listed by check but never proposed whole: its
    // files (the ones the program will then look for) are what matter, and
    // `trace --run` picks exactly those.
    if (host.kind(p) != HostKind::File) continue;
    if (host.is_shared_object(p))
      out.libraries.push_back(p);
    else
      out.files.push_back(FileLine{p, p, false, false});
  }
  return out;
}

// ---- the real host -----------------------------------------------------------

fs::path RealHostView::host(const std::string& path) const {
  if (sysroot_.empty() || sysroot_ == "/") return path;
  return sysroot_ / fs::path(path).relative_path();
}

HostKind RealHostView::kind(const std::string& path) const {
  std::error_code ec;
  auto st = fs::status(host(path), ec);
  if (ec || !fs::exists(st)) return HostKind::Missing;
  if (fs::is_regular_file(st)) return HostKind::File;
  if (fs::is_directory(st)) return HostKind::Directory;
  return HostKind::Other;
}

bool RealHostView::exists(const std::string& path) const {
  std::error_code ec;
  return fs::exists(fs::symlink_status(host(path), ec));
}

bool RealHostView::is_shared_object(const std::string& path) const {
  std::ifstream in(host(path), std::ios::binary);
  unsigned char h[18] = {};
  if (!in.read(reinterpret_cast<char*>(h), sizeof h)) return false;
  if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') return false;
  unsigned type = h[5] == 2 ? (h[16] << 8 | h[17]) : (h[17] << 8 | h[16]);
  return type == 3;  // ET_DYN (PIE programs too, but those are executed, which is checked first)
}

std::string RealHostView::real_path(const std::string& path) const {
  std::error_code ec;
  fs::path real = fs::canonical(host(path), ec);
  if (ec) return path;
  if (sysroot_.empty() || sysroot_ == "/") return real.string();
  return "/" + fs::relative(real, fs::canonical(sysroot_, ec)).string();
}

std::optional<size_t> RealHostView::for_each_file(const std::string& dir,
                                                  const std::function<bool(const std::string&)>& visit) const {
  std::error_code ec;
  size_t n = 0;
  fs::path base = host(dir);
  for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) continue;
    std::string rel = fs::relative(it->path(), base, ec).string();
    if (!visit(dir + "/" + rel)) return std::nullopt;
    ++n;
  }
  if (ec) return std::nullopt;
  return n;
}

}  // namespace slimbuild::runtrace
