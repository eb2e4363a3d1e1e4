// File-system helpers with the guarantees the contract asks for: outputs are
// built beside their target and renamed into place on commit(), so a failed
// or interrupted command leaves nothing half-written at the destination.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace slimbuild::util {

namespace fs = std::filesystem;

// Reads a whole (small) file: manifests, JSON documents, config files.
std::string read_file(const fs::path& file);
// A file that appears at `target` only on commit(): it is written to a
// unique temporary sibling (same file system, so the rename is atomic),
// fsynced, given `mode` (never the umask's idea) and renamed over the target.
// Destroyed without commit(), the temporary file is removed. Missing parent
// directories are created; a target that is a directory is refused.
class AtomicFile {
 public:
  explicit AtomicFile(fs::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const noexcept;  // for streaming writers (libarchive, ...)
  const fs::path& target() const noexcept { return target_; }
  void write(std::string_view data);
  void commit(unsigned mode = 0644);

 private:
  fs::path target_, temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// A whole small file, through AtomicFile.
void write_file_atomic(const fs::path& file, std::string_view data, unsigned mode = 0644);

// A directory that appears at `target` only when commit() is called. Until
// then it lives at a unique temporary sibling `.NAME.tmp-*` (same file system).
// Writers to one target take turns: the constructor waits for the lock file
// `.NAME.lock` beside it (flock, so a killed writer releases it; removed when
// done) and, holding
// it, removes the `.NAME.tmp-*` / `.NAME.old-*` siblings a killed writer left.
// commit() replaces an existing `target` directory in one step (renameat2
// RENAME_EXCHANGE, then the old tree is removed), so `target` never stops
// existing; a file system without RENAME_EXCHANGE gets two renames and a
// warning saying so. If the object is destroyed without commit(), the
// temporary tree is removed.
class AtomicDir {
 public:
  // Called with the existing target just before it is replaced; throws to refuse.
  using ReplaceCheck = std::function<void(const fs::path& existing)>;

  explicit AtomicDir(fs::path target);
  ~AtomicDir();
  AtomicDir(const AtomicDir&) = delete;
  AtomicDir& operator=(const AtomicDir&) = delete;

  const fs::path& path() const noexcept { return temp_; }  // write here
  const fs::path& target() const noexcept { return target_; }
  void commit(const ReplaceCheck& check = {});

 private:
  fs::path target_;
  fs::path temp_;
  fs::path lock_;
  int lock_fd_ = -1;
  bool committed_ = false;
};

// A private temporary directory (mode 0700) removed with its contents on
// destruction. Used by verify and by tests.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "slimbuild");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

}  // namespace slimbuild::util
