// The tar writer behind the single-file output formats: a normalised
// writer over libarchive (ustar, sorted by the caller, mtime fixed, uid/gid
// 0, no owner names) that streams file contents in fixed chunks into an fd
// (a util::AtomicFile, so the archive appears only when complete). Private to
// src/image.
#pragma once

#include <archive.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <slimbuild/util/handles.hpp>

namespace slimbuild::image::detail {

namespace fs = std::filesystem;

class TarOut {
 public:
  TarOut(int fd, int64_t mtime);
  void add_dir(const std::string& name);                                // "blobs/"
  void add_bytes(const std::string& name, std::string_view data);       // mode 0644
  void add_file(const std::string& name, const fs::path& host_file);    // mode 0644, streamed
  void finish();

 private:
  void header(const std::string& name, unsigned type, unsigned mode, int64_t size);
  void check(int rc, const std::string& what);
  util::CHandle<archive, archive_write_free> a_;
  int64_t mtime_;
};

}  // namespace slimbuild::image::detail
