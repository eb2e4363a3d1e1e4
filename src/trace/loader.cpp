// trace_binary: a breadth-first walk over DT_NEEDED that mirrors glibc's
// _dl_map_object_deps. For each name the requesting object asks for: an
// already loaded object answers if the name matches its soname, a name it
// was requested by, or its path (glibc's _dl_name_match_p), or if the file
// found is one already loaded (glibc compares device and inode). Otherwise
// the directories are probed in glibc's order: the DT_RPATH chain up the
// loaders (skipped when the requester has DT_RUNPATH), the requester's
// DT_RUNPATH, the ld.so.conf directories, the default directories. Missing
// names are collected, not thrown one by one, so the user sees all of them.
#include <slimbuild/trace/loader.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include <slimbuild/trace/elf_memo.hpp>
#include <slimbuild/trace/platform.hpp>
#include "trace/search_path.hpp"
#include <slimbuild/trace/sysroot_path.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/image_path.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::trace {

namespace {

struct Node {
  TracedObject obj;
  int loader = -1;                     // the object that caused this one to be loaded
  std::string origin_image;            // $ORIGIN: directory of image_path
  std::optional<fs::path> origin_host; // set when the object is outside the sysroot
  std::set<std::string> names;         // what DT_NEEDED names match it
};

struct Candidate {
  std::string image_path;
  fs::path host_path;
  std::vector<SymlinkHop> hops;
  bool beside_host_file = false;  // found through the $ORIGIN of an object outside the sysroot
};

struct Missing {
  std::vector<std::string> needed_by;
  std::vector<std::string> searched;
  std::vector<std::string> skipped;  // candidates of the wrong architecture
};

// Device and inode: how glibc notices that two names are the same file.
using FileId = std::pair<uint64_t, uint64_t>;
FileId file_id(const util::FileSystem& files, const fs::path& p) {
  auto st = files.stat(p);
  if (!st) return {0, 0};
  return {static_cast<uint64_t>(st->st_dev), static_cast<uint64_t>(st->st_ino)};
}

bool is_regular(const util::FileSystem& files, const fs::path& p) {
  auto st = files.stat(p);
  return st && S_ISREG(st->st_mode);
}

std::string parent_dir(const std::string& image_path) {
  std::string p = fs::path(image_path).parent_path().string();
  return p.empty() ? "/" : p;
}

class Loader {
 public:
  Loader(const fs::path& binary, const TraceOptions& options)
      : options_(options), files_(options.filesystem ? *options.filesystem : util::real_filesystem()) {
    Node root;
    root.obj.elf = read_elf_memoised(binary, options.elf_memo, files_, checks_, "", {});
    // glibc's loader accepts only these ABIs (ELFOSABI_SYSV, ELFOSABI_GNU); a
    // FreeBSD or Solaris binary would fail at exec time inside the container.
    if (uint8_t abi = root.obj.elf.osabi; abi != 0 && abi != 3)
      throw Error(binary.string() + " is not a Linux program (its ELF OS/ABI byte is " + std::to_string(abi) + ")",
                  "build it for Linux");
    root.obj.found_via = FoundVia::Binary;
    place_root(binary, root);
    nodes_.push_back(std::move(root));
    search_ = std::make_unique<LibrarySearchPath>(options_.sysroot, nodes_[0].obj.elf, files_);
  }

  TraceResult run() {
    load_interpreter();
    std::string root_path = nodes_[0].obj.image_path;
    for (size_t i = 0; i < nodes_.size(); ++i)
      for (const auto& name : std::vector<std::string>(nodes_[i].obj.elf.needed)) require(name, static_cast<int>(i));
    // dlopen() happens after startup: these come after the initial closure,
    // with the binary as the loader (its RPATH/RUNPATH apply).
    size_t first_extra = nodes_.size();
    for (const auto& name : options_.extra_libraries) require(name, 0, true);
    for (size_t i = first_extra; i < nodes_.size(); ++i)
      for (const auto& name : std::vector<std::string>(nodes_[i].obj.elf.needed)) require(name, static_cast<int>(i));
    checks_.finish();  // LIEF agreed about every file read
    if (!missing_.empty()) throw missing_error(root_path);

    TraceResult result;
    result.binary = std::move(nodes_[0].obj);
    for (size_t i = 1; i < nodes_.size(); ++i) {
      if (static_cast<int>(i) == interpreter_)
        result.interpreter = std::move(nodes_[i].obj);
      else
        result.libraries.push_back(std::move(nodes_[i].obj));
    }
    return result;
  }

 private:
  // Where the binary sits in the image and whether its $ORIGIN lives in the
  // sysroot or beside the host file.
  void place_root(const fs::path& binary, Node& root) {
    fs::path host = fs::absolute(binary).lexically_normal();
    root.obj.host_path = host;
    fs::path sysroot = fs::absolute(options_.sysroot).lexically_normal();
    fs::path rel = host.lexically_relative(sysroot);
    bool inside = !rel.empty() && *rel.begin() != "..";
    std::string own = inside ? util::clamp_image_path("/" + rel.string()) : "";
    std::string image = options_.binary_image_path.empty()
                            ? (inside ? own : "/app/" + host.filename().string())
                            : util::clamp_image_path(options_.binary_image_path);
    root.obj.image_path = image;
    root.origin_image = parent_dir(image);
    if (image != own) root.origin_host = host.parent_path();
    root.names = {image};
    if (!root.obj.elf.soname.empty()) root.names.insert(root.obj.elf.soname);
  }

  void load_interpreter() {
    const std::string& interp = nodes_[0].obj.elf.interpreter;
    if (interp.empty()) return;
    auto found = lookup_in_sysroot(options_.sysroot, interp, files_);
    if (!found)
      throw Error("the interpreter " + interp + " of " + nodes_[0].obj.image_path + " is missing" + where() + ": " +
                      found.error().message,
                  "install the C library (libc6) in the sysroot, or build the binary statically");
    Node n;
    n.obj.elf = read_checked(found->host_path, interp, nodes_[0].obj.image_path);
    if (!compatible_abi(nodes_[0].obj.elf, n.obj.elf))
      throw Error("the interpreter " + interp + where() + " is " + describe_abi(n.obj.elf) + " but " +
                  nodes_[0].obj.image_path + " is " + describe_abi(nodes_[0].obj.elf));
    n.obj.image_path = interp;
    n.obj.host_path = found->host_path;
    n.obj.symlinks = found->hops;
    n.obj.found_via = FoundVia::Interpreter;
    n.obj.needed_by = {nodes_[0].obj.image_path};
    n.origin_image = parent_dir(interp);
    n.loader = 0;
    n.names = {interp, found->image_path};
    if (!n.obj.elf.soname.empty()) n.names.insert(n.obj.elf.soname);
    interpreter_ = static_cast<int>(nodes_.size());
    by_file_[file_id(files_, found->host_path)] = interpreter_;
    nodes_.push_back(std::move(n));
  }

  // Loads `name` for object `who` unless an already loaded object satisfies it.
  void require(const std::string& name, int who, bool from_manifest = false) {
    std::string requester = from_manifest ? "manifest" : nodes_[who].obj.image_path;
    if (nodes_[0].names.count(name)) return;  // the program itself (glibc matches it by soname too)
    for (size_t i = 1; i < nodes_.size(); ++i)
      if (nodes_[i].names.count(name)) return add_needed_by(nodes_[i], requester, from_manifest);

    std::vector<std::pair<SearchDir, int>> dirs;  // directory and the object whose $ORIGIN it used
    std::vector<FoundVia> vias;
    std::optional<Candidate> hit;
    FoundVia via = FoundVia::Path;
    Missing report;
    if (name.find('/') != std::string::npos) {
      hit = probe_path(util::clamp_image_path(name.front() == '/' ? name : nodes_[0].origin_image + "/" + name), report);
      report.searched.push_back(name);
    } else {
      search_order(name, who, dirs, vias);
      for (size_t i = 0; i < dirs.size() && !hit; ++i) {
        hit = probe(dirs[i].first, dirs[i].second, name, requester, report);
        report.searched.push_back(dirs[i].first.dir);
        if (hit) via = hit->beside_host_file ? FoundVia::Origin : vias[i];
      }
    }
    if (!hit) {
      auto& m = missing_[name];
      if (m.searched.empty()) m = std::move(report);
      m.needed_by.push_back(requester);
      return;
    }
    // The same file under another name (libfoo.so vs libfoo.so.1) is loaded once.
    FileId id = file_id(files_, hit->host_path);
    if (auto it = by_file_.find(id); it != by_file_.end()) {
      nodes_[it->second].names.insert(name);
      return add_needed_by(nodes_[it->second], requester, from_manifest);
    }
    Node n;
    n.obj.elf = read_checked(hit->host_path, hit->image_path, requester);
    n.obj.image_path = hit->image_path;
    n.obj.host_path = hit->host_path;
    n.obj.symlinks = std::move(hit->hops);
    n.obj.requested = name;
    n.obj.found_via = via;
    if (from_manifest) n.obj.manifest_request = ManifestRequest::First;
    else n.obj.needed_by = {requester};
    n.origin_image = parent_dir(hit->image_path);
    if (via == FoundVia::Origin) n.origin_host = hit->host_path.parent_path();
    n.loader = who;
    n.names = {name, hit->image_path};
    if (!n.obj.elf.soname.empty()) n.names.insert(n.obj.elf.soname);
    by_file_[id] = static_cast<int>(nodes_.size());
    util::debug(name + " => " + hit->image_path + " (" + std::string(found_via_name(via)) + ", needed by " + requester + ")");
    nodes_.push_back(std::move(n));
  }

  static void add_needed_by(Node& n, const std::string& requester, bool from_manifest) {
    if (from_manifest) {
      if (n.obj.manifest_request == ManifestRequest::None) n.obj.manifest_request = ManifestRequest::After;
      return;
    }
    auto& v = n.obj.needed_by;
    if (std::find(v.begin(), v.end(), requester) == v.end()) v.push_back(requester);
  }

  void search_order(const std::string& name, int who, std::vector<std::pair<SearchDir, int>>& dirs,
                    std::vector<FoundVia>& vias) const {
    auto add = [&](const std::vector<SearchDir>& list, int owner, FoundVia via) {
      for (const auto& d : list)
        if (std::none_of(dirs.begin(), dirs.end(), [&](const auto& e) { return e.first.dir == d.dir && e.second == owner; })) {
          dirs.emplace_back(d, owner);
          vias.push_back(via);
        }
    };
    const ElfInfo& elf = nodes_[who].obj.elf;
    // glibc ignores DT_RPATH of an object that has DT_RUNPATH, and skips the
    // whole inherited RPATH chain when the requester has DT_RUNPATH.
    if (elf.runpath.empty())
      for (int l = who; l >= 0; l = nodes_[l].loader)
        if (nodes_[l].obj.elf.runpath.empty()) add(search_->expand(nodes_[l].obj.elf.rpath, nodes_[l].origin_image), l, FoundVia::Rpath);
    add(search_->expand(elf.runpath, nodes_[who].origin_image), who, FoundVia::Runpath);
    if (elf.nodeflib) return;  // linked with -z nodefaultlib: no cache, no default directories
    std::vector<SearchDir> conf, defaults;
    // A conf directory that is also a default one is labelled "default": the
    // image has no ld.so.cache, and only default directories work without it.
    const auto& def = search_->default_dirs();
    for (const auto& d : search_->conf_dirs())
      if (std::find(def.begin(), def.end(), d) == def.end()) conf.push_back({d, std::nullopt});
    for (const auto& d : def) defaults.push_back({d, std::nullopt});
    add(conf, -1, FoundVia::LdSoConf);
    add(defaults, -1, FoundVia::Default);
  }

  std::optional<Candidate> probe(const SearchDir& dir, int owner, const std::string& name, const std::string& requester,
                                 Missing& report) {
    if (dir.origin_relative && owner >= 0 && nodes_[owner].origin_host) {
      // Beside a host file outside the sysroot (the application's build tree).
      fs::path host = (*nodes_[owner].origin_host / *dir.origin_relative / name).lexically_normal();
      if (!is_regular(files_, host)) return std::nullopt;
      if (!acceptable(host, dir.dir + "/" + name, requester, report)) return std::nullopt;
      return Candidate{util::clamp_image_path(dir.dir + "/" + name), host, {}, true};
    }
    auto c = probe_path(dir.dir + "/" + name, report);
    if (c && !acceptable(c->host_path, c->image_path, requester, report)) return std::nullopt;
    return c;
  }

  std::optional<Candidate> probe_path(const std::string& image_path, Missing& report) {
    auto found = lookup_in_sysroot(options_.sysroot, image_path, files_);
    if (!found) {
      if (found.error().kind == LookupError::Loop) throw Error(found.error().message + where(), "fix the symlinks in the sysroot");
      // A directory the user may not read could hold the library the loader
      // would pick: searching on past it could ship the wrong one.
      if (found.error().kind == LookupError::Unreadable)
        throw Error("searching for " + image_path + where() + ": " + found.error().message,
                    lookup_hint(LookupError::Unreadable));
      if (found.error().kind == LookupError::Dangling) util::debug("skipping " + image_path + ": " + found.error().message);
      return std::nullopt;
    }
    if (!is_regular(files_, found->host_path)) return std::nullopt;
    return Candidate{util::clamp_image_path(image_path), found->host_path, std::move(found->hops)};
  }

  // The loader skips libraries built for another architecture and keeps searching.
  bool acceptable(const fs::path& host, const std::string& image_path, const std::string& requester, Missing& report) {
    const ElfInfo& elf = read_checked(host, image_path, requester, true);
    if (compatible_abi(nodes_[0].obj.elf, elf)) return true;
    report.skipped.push_back(image_path + " (" + describe_abi(elf) + ")");
    util::debug("skipping " + image_path + ": " + describe_abi(elf));
    return false;
  }

  // A candidate the loader would skip for its architecture (`candidate`) is
  // not given to LIEF: like glibc, only its ELF header decides.
  const ElfInfo& read_checked(const fs::path& host, const std::string& image_path, const std::string& requester,
                              bool candidate = false) {
    if (auto it = elf_cache_.find(host); it != elf_cache_.end()) return it->second;
    try {
      const ElfInfo& root = nodes_[0].obj.elf;
      ElfInfo info = read_elf_memoised(host, options_.elf_memo, files_, checks_,
                                       " (loaded as " + image_path + " for " + requester + ")",
                                       [&](const ElfInfo& elf) { return !candidate || compatible_abi(root, elf); });
      return elf_cache_.emplace(host, std::move(info)).first->second;
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " (loaded as " + image_path + " for " + requester + ")", e.hint());
    }
  }

  std::string where() const {
    return options_.sysroot == "/" ? std::string() : " in sysroot " + options_.sysroot.string();
  }

  Error missing_error(const std::string& root) const {
    std::string msg = std::to_string(missing_.size()) + " shared librar" + (missing_.size() == 1 ? "y" : "ies") +
                      " for " + root + " not found" + where() + ":";
    for (const auto& [name, m] : missing_) {
      msg += "\n  " + name + " (needed by ";
      for (size_t i = 0; i < m.needed_by.size(); ++i) msg += (i ? ", " : "") + m.needed_by[i];
      msg += ")\n    searched: ";
      for (size_t i = 0; i < m.searched.size(); ++i) msg += (i ? ":" : "") + m.searched[i];
      for (const auto& s : m.skipped) msg += "\n    skipped (wrong architecture): " + s;
    }
    return Error(msg, "install the package that provides it, copy it into the sysroot, or fix the RUNPATH/RPATH of "
                      "the ELF that needs it (dlopen()ed names come from `libraries:`)");
  }

  TraceOptions options_;
  const util::FileSystem& files_;
  // LIEF's parses, two at a time beside the search (elf_reader.hpp).
  ElfCrossChecks checks_{std::clamp(std::thread::hardware_concurrency(), 1u, 2u)};
  std::vector<Node> nodes_;
  std::unique_ptr<LibrarySearchPath> search_;
  int interpreter_ = -1;
  std::map<FileId, int> by_file_;
  std::map<fs::path, ElfInfo> elf_cache_;
  std::map<std::string, Missing> missing_;
};

}  // namespace

std::string_view found_via_name(FoundVia via) {
  switch (via) {
    case FoundVia::Binary: return "binary";
    case FoundVia::Interpreter: return "interpreter";
    case FoundVia::Path: return "path";
    case FoundVia::Rpath: return "rpath";
    case FoundVia::Runpath: return "runpath";
    case FoundVia::LdSoConf: return "ld.so.conf";
    case FoundVia::Default: return "default";
    case FoundVia::Origin: return "origin";
  }
  return "?";
}

TraceResult trace_binary(const fs::path& binary, const TraceOptions& options) {
  for (const auto& lib : options.extra_libraries)
    if (lib.empty()) throw Error("an empty name in the dlopen()ed libraries", "list sonames such as libnss_dns.so.2");
  return Loader(binary, options).run();
}

}  // namespace slimbuild::trace
