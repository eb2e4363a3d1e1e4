// Rootfs: the sorted set of image entries and the rules for adding to it.
// Parents are created on demand, identical duplicates are merged (two
// libraries may share a symlink hop such as /lib -> usr/lib), and anything
// that would silently replace one file with another is refused.
#include <slimbuild/rootfs/rootfs.hpp>

#include <algorithm>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/image_path.hpp>

namespace slimbuild::rootfs {

namespace {

// "/a//b/./c/" -> "/a/b/c" (util::normalize_image_path). Callers normalise
// user input earlier, so an error here is a bug or hostile input.
std::string normalise(const std::string& path) {
  auto normal = util::normalize_image_path(path);
  if (normal && *normal == "/") throw Error("image path '" + path + "' is the image root, which is not an entry");
  if (normal) return *normal;
  switch (normal.error()) {
    case util::ImagePathError::NotAbsolute: throw Error("image path '" + path + "' is not absolute");
    case util::ImagePathError::ClimbsOut: throw Error("image path '" + path + "' climbs out of the image root");
    case util::ImagePathError::ContainsNul: throw Error("image path contains a NUL byte");
  }
  throw Error("image path '" + path + "' is not valid");
}

const char* type_name(EntryType t) {
  switch (t) {
    case EntryType::Directory: return "directory";
    case EntryType::File: return "file";
    case EntryType::Symlink: return "symlink";
  }
  return "?";
}

bool same_content(const Entry& a, const Entry& b) {
  if (a.type != b.type || a.mode != b.mode || a.uid != b.uid || a.gid != b.gid || a.xattrs != b.xattrs) return false;
  switch (a.type) {
    case EntryType::Directory: return true;
    case EntryType::Symlink: return a.link_target == b.link_target;
    case EntryType::File:
      if (a.size != b.size) return false;
      if (!a.source.empty() && !b.source.empty()) {
        std::error_code ec;
        return a.source == b.source || std::filesystem::equivalent(a.source, b.source, ec);
      }
      return a.source.empty() && b.source.empty() && a.content == b.content;
  }
  return false;
}

}  // namespace

const Entry* Rootfs::find(const std::string& path) const {
  auto it = entries_.find(path);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string_view origin_name(EntryOrigin origin) {
  switch (origin) {
    case EntryOrigin::ImplicitDirectory: return "directory";
    case EntryOrigin::Binary: return "binary";
    case EntryOrigin::Interpreter: return "interpreter";
    case EntryOrigin::Library: return "library";
    case EntryOrigin::Files: return "files";
    case EntryOrigin::CaCertificates: return "ca-certificates";
    case EntryOrigin::Tzdata: return "tzdata";
    case EntryOrigin::Generated: return "generated";
    case EntryOrigin::Writable: return "writable";
    case EntryOrigin::DpkgRecord: return "dpkg-record";
    case EntryOrigin::Copyright: return "copyright";
    case EntryOrigin::OsRelease: return "os-release";
  }
  return "?";
}

void Rootfs::add(Entry entry) {
  entry.path = normalise(entry.path);
  if (entry.path.empty()) throw Error("the image root itself cannot be added as an entry");
  entry.mode &= (entry.type == EntryType::Directory && entry.path == "/tmp") ? 07777u : 0777u;
  if (entry.type == EntryType::Directory) entry.mode &= ~06000u;

  // Every ancestor must be a directory (created as root 0755 when missing).
  for (size_t slash = entry.path.find('/', 1); slash != std::string::npos; slash = entry.path.find('/', slash + 1)) {
    std::string parent = entry.path.substr(0, slash);
    auto it = entries_.find(parent);
    if (it == entries_.end()) {
      Entry dir;
      dir.path = parent;
      dir.type = EntryType::Directory;
      dir.mode = 0755;
      dir.origin = EntryOrigin::ImplicitDirectory;
      entries_.emplace(parent, std::move(dir));
    } else if (it->second.type != EntryType::Directory) {
      throw Error("cannot add " + entry.path + " (" + std::string(origin_name(entry.origin)) + "): " + parent + " is a " +
                  type_name(it->second.type) + " (" + std::string(origin_name(it->second.origin)) + "), not a directory");
    }
  }

  auto it = entries_.lower_bound(entry.path);
  if (it == entries_.end() || it->first != entry.path) {
    std::string key = entry.path;
    entries_.emplace_hint(it, std::move(key), std::move(entry));  // moved: a tree adds one per file
    return;
  }
  Entry& existing = it->second;
  // An implicit parent may be given its real attributes later (e.g. the home).
  if (existing.type == EntryType::Directory && entry.type == EntryType::Directory && existing.origin == EntryOrigin::ImplicitDirectory) {
    existing = std::move(entry);
    return;
  }
  if (entry.type == EntryType::Directory && existing.type == EntryType::Directory && entry.origin == EntryOrigin::ImplicitDirectory)
    return;
  // A `writable:` directory keeps its owner when `files:` also puts a tree there.
  if (entry.type == EntryType::Directory && existing.type == EntryType::Directory && existing.origin == EntryOrigin::Writable)
    return;
  if (same_content(existing, entry)) {
    for (auto& n : entry.needed_by)
      if (std::find(existing.needed_by.begin(), existing.needed_by.end(), n) == existing.needed_by.end())
        existing.needed_by.push_back(n);
    return;
  }
  throw Error(entry.path + " would be added twice with different content: as a " + type_name(existing.type) +
                  " from " + std::string(origin_name(existing.origin)) + " and as a " + type_name(entry.type) + " from " + std::string(origin_name(entry.origin)),
              "change one of the destinations in the manifest");
}

util::Fd SourceOpener::open(const Entry& e) {
  if (!e.source_root) return util::open_checked(e.source, e.identity);
  // A tree's entries share one root path object: most checks compare pointers.
  if (!held_ || (root_ != e.source_root && *root_ != *e.source_root)) {
    held_ = util::open_root(*e.source_root);
    root_ = e.source_root;
  }
  return util::open_checked(e.source, e.identity, *held_);
}

}  // namespace slimbuild::rootfs
