// Shared helpers for the layer and image tests: a small rootfs built from real
// files with Rootfs::add, and a tar reader that is libarchive's, not ours, so
// the tests check our output against an independent parser.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/process.hpp>

namespace layer_test {

namespace fs = std::filesystem;
using slimbuild::rootfs::Entry;
using slimbuild::rootfs::EntryType;
using slimbuild::rootfs::Rootfs;

inline void write_text(const fs::path& p, const std::string& data, unsigned mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
  ::chmod(p.c_str(), mode);
}

inline Entry file_from(const std::string& path, const fs::path& source, uint32_t mode = 0644,
                       uint32_t uid = 0, uint32_t gid = 0) {
  Entry e;
  e.path = path;
  e.type = EntryType::File;
  e.source = source;
  e.size = fs::file_size(source);
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  e.origin = slimbuild::rootfs::EntryOrigin::Files;
  return e;
}

inline Entry generated(const std::string& path, const std::string& content, uint32_t mode = 0644) {
  Entry e;
  e.path = path;
  e.type = EntryType::File;
  e.content = content;
  e.size = content.size();
  e.mode = mode;
  e.origin = slimbuild::rootfs::EntryOrigin::Generated;
  return e;
}

inline Entry dir(const std::string& path, uint32_t mode = 0755, uint32_t uid = 0, uint32_t gid = 0) {
  Entry e;
  e.path = path;
  e.type = EntryType::Directory;
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  e.origin = slimbuild::rootfs::EntryOrigin::Generated;
  return e;
}

inline Entry link_entry(const std::string& path, const std::string& target) {
  Entry e;
  e.path = path;
  e.type = EntryType::Symlink;
  e.link_target = target;
  e.mode = 0777;
  e.origin = slimbuild::rootfs::EntryOrigin::Library;
  return e;
}

// A rootfs shaped like a real image: binary, generated files, /tmp, a home
// owned by the user, a merged-/usr symlink and a library symlink chain.
// Sources are written under `src`.
inline Rootfs sample_rootfs(const fs::path& src) {
  write_text(src / "hello", std::string("\x7f" "ELF fake binary\n") + std::string(5000, 'x'), 0700);
  write_text(src / "libfoo.so.1.2", std::string(70000, 'L'), 0600);
  Rootfs r;
  r.add(file_from("/app/hello", src / "hello", 0755));
  r.add(generated("/etc/passwd", "app:x:65532:65532::/home/app:/sbin/nologin\n"));
  r.add(generated("/etc/group", "app:x:65532:\n"));
  r.add(dir("/tmp", 01777));
  r.add(dir("/home/app", 0700, 65532, 65532));
  r.add(link_entry("/lib64", "usr/lib64"));
  r.add(file_from("/usr/lib64/libfoo.so.1.2", src / "libfoo.so.1.2", 0644));
  r.add(link_entry("/usr/lib64/libfoo.so.1", "libfoo.so.1.2"));
  r.add(generated("/etc/empty", ""));
  return r;
}

struct TarEntry {
  std::string path;
  mode_t type = 0;
  mode_t perm = 0;
  int64_t uid = 0, gid = 0;
  int64_t mtime = 0;
  bool atime_set = false, ctime_set = false, birthtime_set = false;
  std::string uname, gname, symlink, hardlink;
  int64_t size = 0;
  std::string content;
};

// Reads a .tar or .tar.gz with libarchive.
// Under C.UTF-8 so that non-ASCII names read back as their UTF-8 bytes.
inline std::vector<TarEntry> read_tar(const fs::path& file) {
  static locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  struct Restore {
    locale_t old;
    ~Restore() { uselocale(old); }
  } restore{uselocale(utf8)};
  slimbuild::util::CHandle<archive, archive_read_free> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_none(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), 65536) != ARCHIVE_OK)
    throw slimbuild::Error(std::string("libarchive cannot open ") + file.string() + ": " + archive_error_string(a.get()));
  std::vector<TarEntry> out;
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    TarEntry t;
    const char* p = archive_entry_pathname_utf8(e);
    t.path = p ? p : "";
    t.type = archive_entry_filetype(e);
    t.perm = archive_entry_perm(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    t.mtime = archive_entry_mtime(e);
    t.atime_set = archive_entry_atime_is_set(e);
    t.ctime_set = archive_entry_ctime_is_set(e);
    t.birthtime_set = archive_entry_birthtime_is_set(e);
    if (const char* s = archive_entry_uname(e)) t.uname = s;
    if (const char* s = archive_entry_gname(e)) t.gname = s;
    if (const char* s = archive_entry_symlink_utf8(e)) t.symlink = s;
    if (const char* s = archive_entry_hardlink(e)) t.hardlink = s;
    t.size = archive_entry_size(e);
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) t.content.append(buf, static_cast<size_t>(n));
    if (n < 0) throw slimbuild::Error(std::string("libarchive data error: ") + archive_error_string(a.get()));
    out.push_back(std::move(t));
  }
  if (rc != ARCHIVE_EOF) throw slimbuild::Error(std::string("libarchive: ") + archive_error_string(a.get()));
  return out;
}

// `gzip -dc FILE` through the real gzip binary: the uncompressed tar bytes.
inline std::string gunzip(const fs::path& file) {
  auto r = slimbuild::util::run_process({"gzip", "-dc", file.string()});
  if (!r.ok()) throw slimbuild::Error("gzip -dc failed: " + r.err);
  return r.out;
}

// First field of `sha256sum FILE`.
inline std::string sha256sum(const fs::path& file) {
  auto r = slimbuild::util::run_process({"sha256sum", file.string()});
  if (!r.ok()) throw slimbuild::Error("sha256sum failed: " + r.err);
  return r.out.substr(0, 64);
}

inline std::string read_bytes(const fs::path& file) { return slimbuild::util::read_file(file); }

}  // namespace layer_test
