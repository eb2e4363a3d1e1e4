// SecretMemo: the content verdicts of the secret guard (secrets.hpp), kept
// between builds so an unchanged `files:` tree is not read in full again.
// Only the content rules are memoised (a PEM private key block anywhere, a
// token in a credential file); the name rules are cheap and run every time.
// An implementation keys a verdict by the file's stamp (the spellings of its
// path, device, inode, size, mtime and ctime in ns, from the stat of the
// descriptor that is scanned, taken before the scan) and must answer only for
// exactly that stamp; which stamps it dares to record (not one changed just
// before the build) is its rule. Null: every file is scanned.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <slimbuild/util/filesystem.hpp>

namespace slimbuild::rootfs {

namespace fs = std::filesystem;

// find and remember may be called from several threads at once (the walk
// checks big files on its reader threads).
class SecretMemo {
 public:
  virtual ~SecretMemo() = default;
  // The recorded verdict (nullopt inside: clean; else the reason) for `key`
  // with exactly this stat; outer nullopt: not known.
  virtual std::optional<std::optional<std::string>> find(const std::string& key, const struct stat& st) = 0;
  virtual void remember(const std::string& key, const struct stat& st, const std::optional<std::string>& reason) = 0;
};

// secret_reason(host_file, relative_path, fd) with the content half answered
// by the memo when it knows the file as it is now. Files smaller than
// kSecretMemoMinBytes are always scanned (one read; a tree of 50,000 small
// files would otherwise load 50,000 records on every build).
inline constexpr std::size_t kSecretMemoMinBytes = 64 * 1024;
// The stat and the scan go through `files`.
std::optional<std::string> secret_reason_memoised(const fs::path& host_file, std::string_view relative_path, int fd,
                                                  SecretMemo* memo,
                                                  const util::FileSystem& files = util::real_filesystem());

}  // namespace slimbuild::rootfs
