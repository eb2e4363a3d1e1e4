// TarStream: libarchive pax_restricted writer with custom callbacks, fed only
// the fields we choose; see the header for what ends up in the bytes.
#include "layer/tar_stream.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

#include <cstdio>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/text.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::layer {

namespace {

using EntryHandle = util::CHandle<archive_entry, archive_entry_free>;

mode_t file_type_bits(rootfs::EntryType type) {
  switch (type) {
    case rootfs::EntryType::Directory: return AE_IFDIR;
    case rootfs::EntryType::Symlink: return AE_IFLNK;
    case rootfs::EntryType::File: return AE_IFREG;
  }
  return AE_IFREG;
}

// libarchive converts names between the current locale's charset and the
// UTF-8 of pax records, and caches that charset per archive. In the "C"
// locale a non-ASCII name cannot be converted at all (libarchive 3.6 then
// crashes or falls back to hdrcharset=BINARY), and under another locale the
// bytes would depend on the user's environment. So every libarchive call runs
// under a thread-local C.UTF-8 locale: our UTF-8 names pass through as is.
class Utf8Locale {
 public:
  Utf8Locale() {
    static locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    if (!utf8) throw Error("the C.UTF-8 locale is not available", "slimbuild needs glibc 2.35 or newer");
    previous_ = uselocale(utf8);
  }
  ~Utf8Locale() { uselocale(previous_); }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t previous_;
};

using util::is_utf8;
using util::printable;

}  // namespace

std::string tar_name(const std::string& image_path, rootfs::EntryType type) {
  std::string name = image_path;
  while (!name.empty() && name.front() == '/') name.erase(name.begin());
  if (name.empty()) throw Error("internal: the image root is not a tar entry");
  // Docker, BuildKit and umoci all name directories "dir/"; libarchive would
  // add the slash too, but being explicit keeps the rule in one place.
  if (type == rootfs::EntryType::Directory && name.back() != '/') name.push_back('/');
  return name;
}

void TarStream::ArchiveDeleter::operator()(archive* a) const noexcept { archive_write_free(a); }

TarStream::TarStream(Sink sink) : sink_(std::move(sink)) {
  Utf8Locale utf8;
  a_.reset(archive_write_new());
  if (!a_) throw Error("libarchive could not allocate a tar writer");
  archive* a = a_.get();
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK) fail("cannot select the pax format");
  // No compression filter: gzip is ours so its header is ours. The tar stream
  // ends right after the two end-of-archive blocks, with no record padding.
  if (archive_write_add_filter_none(a) != ARCHIVE_OK || archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
    fail("cannot configure the tar writer");
  if (archive_write_open(a, this, nullptr, &TarStream::on_write, nullptr) != ARCHIVE_OK)
    fail("cannot start the tar stream");
}

// archive_write_free() closes the archive, which writes the end blocks
// through on_write(); after a failure (or an early exit) nobody wants them,
// and the members on_write() uses would already be gone if a_ outlived them.
TarStream::~TarStream() {
  discard_ = true;
  try {
    Utf8Locale utf8;
    a_.reset();
  } catch (...) {
    a_.reset();
  }
}

long TarStream::on_write(archive* a, void* self_ptr, const void* buffer, std::size_t length) {
  auto* self = static_cast<TarStream*>(self_ptr);
  if (self->discard_) return static_cast<long>(length);
  // Exceptions must not unwind through libarchive's C frames: park the error
  // and report failure; fail() rethrows it once libarchive has returned.
  try {
    self->hash_.update(buffer, length);
    self->size_ += length;
    self->sink_(buffer, length);
    return static_cast<long>(length);
  } catch (...) {
    self->sink_error_ = std::current_exception();
    archive_set_error(a, EIO, "layer output failed");
    return -1;
  }
}

void TarStream::fail(const std::string& what) {
  if (sink_error_) std::rethrow_exception(std::exchange(sink_error_, nullptr));
  const char* detail = a_ ? archive_error_string(a_.get()) : nullptr;
  throw Error("writing the layer tar: " + what + (detail ? std::string(": ") + detail : std::string()));
}

void TarStream::check_entry_complete() {
  // libarchive would silently pad a short entry with zeros; that would be a
  // corrupt file in the image, so it is a bug we refuse to paper over.
  if (remaining_ != 0)
    throw Error("internal: " + current_ + " ended " + std::to_string(remaining_) + " bytes short of its size");
}

void TarStream::write_header(const TarHeader& h) {
  if (finished_) throw Error("internal: tar entry after the end of the archive");
  check_entry_complete();
  if (!is_utf8(h.path))
    throw Error("image path '" + printable(h.path) + "' is not valid UTF-8", "rename the file to a UTF-8 name");
  if (!is_utf8(h.link_target))
    throw Error("the target of symlink " + printable(h.path) + " is not valid UTF-8",
                "point it at a UTF-8 name");
  Utf8Locale utf8;
  EntryHandle e(archive_entry_new());
  if (!e) throw Error("libarchive could not allocate a tar entry");
  archive_entry_copy_pathname(e.get(), h.path.c_str());
  archive_entry_set_filetype(e.get(), file_type_bits(h.type));
  archive_entry_set_perm(e.get(), h.mode & 07777);
  archive_entry_set_uid(e.get(), h.uid);
  archive_entry_set_gid(e.get(), h.gid);
  archive_entry_set_mtime(e.get(), h.mtime, 0);
  archive_entry_set_size(e.get(), h.type == rootfs::EntryType::File ? static_cast<la_int64_t>(h.size) : 0);
  if (h.type == rootfs::EntryType::Symlink) {
    if (h.link_target.empty()) throw Error("symlink " + h.path + " has an empty target");
    archive_entry_copy_symlink(e.get(), h.link_target.c_str());
  }
  // libarchive writes each one as a pax record, SCHILY.xattr.<name> with the
  // raw value (what docker, containerd and umoci read) and LIBARCHIVE.xattr.
  for (const auto& [name, value] : h.xattrs)
    archive_entry_xattr_add_entry(e.get(), name.c_str(), value.data(), value.size());
  current_ = h.path;
  remaining_ = h.type == rootfs::EntryType::File ? h.size : 0;
  int rc = archive_write_header(a_.get(), e.get());
  // ARCHIVE_WARN means a name could not be stored as given (e.g. not UTF-8):
  // the archive would then depend on libarchive's fallback, so refuse it.
  if (rc != ARCHIVE_OK) fail("cannot write the header of " + h.path);
}

void TarStream::write_data(const void* data, std::size_t size) {
  if (size > remaining_)
    throw Error("internal: " + current_ + " got more data than its size (" + std::to_string(size) + " > " +
                std::to_string(remaining_) + ")");
  Utf8Locale utf8;
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    la_ssize_t n = archive_write_data(a_.get(), p, size);
    if (n <= 0) fail("cannot write the data of " + current_);
    p += n;
    size -= static_cast<std::size_t>(n);
    remaining_ -= static_cast<uint64_t>(n);
  }
}

void TarStream::finish() {
  if (finished_) return;
  check_entry_complete();
  Utf8Locale utf8;
  if (archive_write_close(a_.get()) != ARCHIVE_OK) fail("cannot finish the archive");
  finished_ = true;
}

std::string TarStream::diff_id() {
  if (!finished_) throw Error("internal: diff_id of an unfinished tar stream");
  return hash_.digest();
}

}  // namespace slimbuild::layer
