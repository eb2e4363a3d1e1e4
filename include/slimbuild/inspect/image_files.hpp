// The file system an image's layers add up to, read as streams: every entry
// with its type, mode, owner, size, link target, mtime and the SHA-256 of its
// content, hashed while the layer is decompressed. Memory grows with the
// number of entries, never with their size. Used by diff/verify (what
// changed) and inspect (what is there). Each layer blob is checked against
// its digest on the way, so a corrupted layout cannot pass for a match.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::inspect {

namespace fs = std::filesystem;

enum class FileType { File, Directory, Symlink, HardLink, CharDevice, BlockDevice, Fifo };

struct ImageFile {
  FileType type = FileType::File;
  uint32_t mode = 0;       // permission bits incl. setuid/setgid/sticky
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  int64_t mtime = 0;
  std::string sha256;      // hex, regular files only
  std::string link;        // symlink or hard-link target
  std::string capability;  // raw security.capability xattr (pax SCHILY.xattr.security.capability), "" if none
};

// Keyed by absolute image path ("/usr/lib/x"), whiteouts applied in layer order.
using ImageFiles = std::map<std::string, ImageFile>;

// Sees regular files' bytes while a layer streams (audit's secret and
// record checks), without a second pass or an unpacked copy. Called in
// layer order: a later layer's file of the same path comes later.
class ContentVisitor {
 public:
  virtual ~ContentVisitor() = default;
  // How many leading bytes of `path` to hand over (0: none).
  virtual std::size_t wanted(const std::string& path) = 0;
  // Those bytes (fewer when the file is shorter); `size` is the whole file's.
  virtual void file(const std::string& path, std::string head, uint64_t size) = 0;
};

// Reads the layers listed in `manifest` (an image manifest JSON) from `layout`.
ImageFiles read_image_files(const image::LayoutReader& layout, const nlohmann::json& manifest,
                            ContentVisitor* visitor = nullptr);

// Applies one layer blob (gzip/zstd/plain tar) on top of `files`.
void apply_layer(const fs::path& blob, const std::string& expected_digest, ImageFiles& files,
                 ContentVisitor* visitor = nullptr);
// The same from an open blob (LayoutReader::open_blob); `blob` names it in errors.
void apply_layer(util::Fd fd, const std::string& blob, const std::string& expected_digest, ImageFiles& files,
                 ContentVisitor* visitor = nullptr);

// "0755", "4755": octal permission text.
std::string mode_string(uint32_t mode);

}  // namespace slimbuild::inspect
