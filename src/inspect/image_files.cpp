// Streaming a layer tar into an ImageFiles map: libarchive decompresses and
// parses, we hash each entry's content chunk by chunk, and a read callback
// hashes the raw blob bytes too so the blob is checked against its digest in
// the same pass. OCI whiteouts (".wh.name", ".wh..wh..opq") are honoured so
// multi-layer images pulled from elsewhere compare correctly.
#include <slimbuild/inspect/image_files.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <vector>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/image_path.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::inspect {

namespace {

// Feeds libarchive from a file while hashing every byte it reads.
struct HashingSource {
  util::Fd fd;
  util::Sha256 hash;
  std::vector<char> buf = std::vector<char>(1 << 16);

  static la_ssize_t read(archive*, void* self, const void** out) {
    auto* s = static_cast<HashingSource*>(self);
    for (;;) {
      ssize_t n = ::read(s->fd.get(), s->buf.data(), s->buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) s->hash.update(s->buf.data(), static_cast<std::size_t>(n));
      *out = s->buf.data();
      return n;
    }
  }
  // libarchive stops at the end-of-archive marker; the rest still counts.
  void drain() {
    const void* ignored;
    while (read(nullptr, this, &ignored) > 0) {
    }
  }
};

// Tar names as a runtime unpacking the image sees them: from "/", ".."
// stopping there.
std::string normalise(const char* raw) { return util::clamp_image_path(raw ? raw : ""); }

void remove_tree(ImageFiles& files, const std::string& path, bool keep_root) {
  auto it = files.lower_bound(path);
  if (it != files.end() && it->first == path) it = keep_root ? std::next(it) : files.erase(it);
  const std::string prefix = path == "/" ? "/" : path + "/";
  while (it != files.end() && it->first.compare(0, prefix.size(), prefix) == 0) it = files.erase(it);
}

FileType type_of(archive_entry* e) {
  if (archive_entry_hardlink(e)) return FileType::HardLink;
  switch (archive_entry_filetype(e)) {
    case AE_IFDIR: return FileType::Directory;
    case AE_IFLNK: return FileType::Symlink;
    case AE_IFCHR: return FileType::CharDevice;
    case AE_IFBLK: return FileType::BlockDevice;
    case AE_IFIFO: return FileType::Fifo;
    default: return FileType::File;
  }
}

}  // namespace

std::string mode_string(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

void apply_layer(const fs::path& blob, const std::string& expected_digest, ImageFiles& files, ContentVisitor* visitor) {
  util::Fd fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) throw Error("cannot read layer " + blob.string() + ": " + std::strerror(errno));
  apply_layer(std::move(fd), blob.string(), expected_digest, files, visitor);
}

void apply_layer(util::Fd fd, const std::string& blob, const std::string& expected_digest, ImageFiles& files,
                 ContentVisitor* visitor) {
  HashingSource src;
  src.fd = std::move(fd);
  util::CHandle<archive, archive_read_free> a(archive_read_new());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_filter_all(a.get());
  auto fail = [&](const std::string& what) -> Error {
    const char* msg = archive_error_string(a.get());
    return Error("cannot read layer " + expected_digest + " (" + what + "): " + (msg ? msg : "malformed tar"));
  };
  if (archive_read_open(a.get(), &src, nullptr, &HashingSource::read, nullptr) != ARCHIVE_OK) throw fail("open");

  archive_entry* e = nullptr;
  int rc;
  std::vector<char> buf(1 << 16);
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    std::string path = normalise(archive_entry_pathname(e));
    fs::path p(path);
    std::string base = p.filename().string();
    std::string dir = p.parent_path().string();
    if (base == ".wh..wh..opq") {
      remove_tree(files, dir, true);
      continue;
    }
    if (base.rfind(".wh.", 0) == 0) {
      remove_tree(files, (dir == "/" ? "/" : dir + "/") + base.substr(4), false);
      continue;
    }
    if (path == "/") continue;
    ImageFile f;
    f.type = type_of(e);
    f.mode = archive_entry_perm(e) & 07777;
    f.uid = static_cast<uint32_t>(archive_entry_uid(e));
    f.gid = static_cast<uint32_t>(archive_entry_gid(e));
    f.mtime = archive_entry_mtime(e);
    if (f.type == FileType::Symlink && archive_entry_symlink(e)) f.link = archive_entry_symlink(e);
    if (f.type == FileType::HardLink) f.link = normalise(archive_entry_hardlink(e));
    archive_entry_xattr_reset(e);
    const char* xname;
    const void* xvalue;
    size_t xsize;
    while (archive_entry_xattr_next(e, &xname, &xvalue, &xsize) == ARCHIVE_OK)
      if (xname && std::strcmp(xname, "security.capability") == 0) f.capability.assign(static_cast<const char*>(xvalue), xsize);
    if (f.type == FileType::File) {
      util::Sha256 h;
      std::size_t keep = visitor ? visitor->wanted(path) : 0;
      std::string head;
      la_ssize_t n;
      while ((n = archive_read_data(a.get(), buf.data(), buf.size())) > 0) {
        h.update(buf.data(), static_cast<std::size_t>(n));
        f.size += static_cast<uint64_t>(n);
        if (head.size() < keep) head.append(buf.data(), std::min<std::size_t>(static_cast<std::size_t>(n), keep - head.size()));
      }
      if (n < 0) throw fail(path);
      f.sha256 = h.hex();
      if (visitor) visitor->file(path, std::move(head), f.size);
    }
    // A later layer replacing a directory with a file drops what was below it.
    if (f.type != FileType::Directory) remove_tree(files, path, false);
    files[path] = std::move(f);
  }
  if (rc != ARCHIVE_EOF) throw fail("entry");
  src.drain();
  if (src.hash.digest() != expected_digest)
    throw Error("layer blob " + blob + " does not match its digest " + expected_digest + " (corrupted layout)");
}

ImageFiles read_image_files(const image::LayoutReader& layout, const nlohmann::json& manifest, ContentVisitor* visitor) {
  ImageFiles files;
  if (!manifest.contains("layers") || !manifest["layers"].is_array())
    throw Error("image manifest has no \"layers\" array");
  for (const auto& l : manifest["layers"]) {
    auto d = image::Descriptor::from_json(l);
    if (!layout.has_blob(d.digest)) throw Error(layout.dir().string() + " lacks layer blob " + d.digest);
    // A plain file of the stated size; the digest is checked in apply_layer's own pass.
    apply_layer(layout.open_blob(d, image::BlobCheck::SizeOnly), layout.blob_path(d.digest).string(), d.digest, files,
                visitor);
  }
  return files;
}

}  // namespace slimbuild::inspect
