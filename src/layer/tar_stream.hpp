// A normalising tar writer on top of libarchive's "restricted pax" format:
// plain ustar headers, plus a pax extended header only when ustar cannot hold
// a field (a path or link target that does not fit ustar's 100+155-byte
// name/prefix split or its 100-byte linkname, a non-ASCII name, an id above
// 2097151, a size above 8 GiB, an mtime after 2038). Such a header is named
// "<dir>/PaxHeader/<name>" (no PID, no time), holds only the fields needed
// (path, linkpath, uid, mtime...) and never atime or ctime; its own ustar
// fields copy the entry's (mode, owner, mtime). The entry's ustar header then
// holds a truncated name that only pax-blind readers would see. Names must
// be UTF-8 (anything else is refused: pax would need hdrcharset=BINARY, which
// Go's archive/tar ignores) and pass through unchanged whatever the locale.
//
// Nothing about the host leaks in: the caller gives every field, owner names
// stay empty, there are no ACLs or file flags and no xattrs except those the
// caller names (the binary's security.capability), and the archive ends
// with exactly the two zero blocks the format requires (no padding to a
// 10 KiB record, which is how Go's archive/tar ends a layer too).
//
// The tar bytes are hashed (the layer's diff_id) and handed to a sink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/util/sha256.hpp>

struct archive;

namespace slimbuild::layer {

struct TarHeader {
  std::string path;         // relative, no leading "/" ("etc/passwd"); directories get a trailing "/"
  rootfs::EntryType type = rootfs::EntryType::File;
  uint32_t mode = 0644;     // permission bits (with /tmp's sticky bit)
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;
  uint64_t size = 0;        // File only
  std::string link_target;  // Symlink only
  std::map<std::string, std::string> xattrs;  // pax SCHILY.xattr.<name> records, e.g. security.capability
};

// Image path "/etc/passwd" -> tar name "etc/passwd"; directories "etc/".
std::string tar_name(const std::string& image_path, rootfs::EntryType type);

class TarStream {
 public:
  using Sink = std::function<void(const void* data, std::size_t size)>;

  // `sink` receives the tar bytes; exceptions it throws come out of the
  // TarStream call that produced the bytes.
  explicit TarStream(Sink sink);
  ~TarStream();
  TarStream(const TarStream&) = delete;
  TarStream& operator=(const TarStream&) = delete;

  // Starts an entry. For a File, exactly header.size bytes must follow
  // through write_data() before the next header or finish().
  void write_header(const TarHeader& header);
  void write_data(const void* data, std::size_t size);
  // Writes the end-of-archive blocks. Call once, last.
  void finish();

  std::string diff_id();  // "sha256:<hex>" of the tar; only after finish()
  uint64_t size() const { return size_; }

 private:
  static long on_write(archive* a, void* self, const void* buffer, std::size_t length);
  [[noreturn]] void fail(const std::string& what);
  void check_entry_complete();

  struct ArchiveDeleter {
    void operator()(archive* a) const noexcept;
  };
  std::unique_ptr<archive, ArchiveDeleter> a_;
  Sink sink_;
  std::exception_ptr sink_error_;
  util::Sha256 hash_;
  uint64_t size_ = 0;
  std::string current_;     // path of the entry being written, for messages
  uint64_t remaining_ = 0;  // data bytes the current entry still expects
  bool finished_ = false;
  bool discard_ = false;
};

}  // namespace slimbuild::layer
