// The normalised tar writer for archives.
#include "image/archive_io.hpp"

#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include <slimbuild/util/error.hpp>

namespace slimbuild::image::detail {

TarOut::TarOut(int fd, int64_t mtime) : a_(archive_write_new()), mtime_(mtime) {
  if (!a_) throw Error("libarchive: out of memory");
  check(archive_write_set_format_ustar(a_.get()), "set tar format");
  check(archive_write_open_fd(a_.get(), fd), "open archive");
}

void TarOut::check(int rc, const std::string& what) {
  if (rc < ARCHIVE_OK)
    throw Error("cannot write archive (" + what + "): " + (archive_error_string(a_.get()) ? archive_error_string(a_.get()) : "unknown error"));
}

void TarOut::header(const std::string& name, unsigned type, unsigned mode, int64_t size) {
  util::CHandle<archive_entry, archive_entry_free> e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), type);
  archive_entry_set_perm(e.get(), mode);
  archive_entry_set_size(e.get(), size);
  archive_entry_set_mtime(e.get(), mtime_, 0);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  check(archive_write_header(a_.get(), e.get()), name);
}

void TarOut::add_dir(const std::string& name) { header(name, AE_IFDIR, 0755, 0); }

void TarOut::add_bytes(const std::string& name, std::string_view data) {
  header(name, AE_IFREG, 0644, static_cast<int64_t>(data.size()));
  if (!data.empty() && archive_write_data(a_.get(), data.data(), data.size()) < 0) check(ARCHIVE_FATAL, name);
}

void TarOut::add_file(const std::string& name, const fs::path& host_file) {
  util::Fd fd(::open(host_file.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) throw Error("cannot read " + host_file.string() + ": " + std::strerror(errno));
  header(name, AE_IFREG, 0644, st.st_size);
  std::vector<char> buf(1 << 16);
  int64_t left = st.st_size;
  while (left > 0) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(host_file.string() + " changed while it was being archived");
    n = std::min<ssize_t>(n, left);
    if (archive_write_data(a_.get(), buf.data(), static_cast<size_t>(n)) < 0) check(ARCHIVE_FATAL, name);
    left -= n;
  }
}

void TarOut::finish() { check(archive_write_close(a_.get()), "close"); }

}  // namespace slimbuild::image::detail
