// secret_reason_memoised: the name rules, then the memo's content verdict
// for the file's stamp, else a scan whose verdict the memo is told.
#include <slimbuild/rootfs/secret_memo.hpp>

#include <sys/stat.h>

#include <slimbuild/rootfs/secrets.hpp>

namespace slimbuild::rootfs {

std::optional<std::string> secret_reason_memoised(const fs::path& host_file, std::string_view relative_path, int fd,
                                                  SecretMemo* memo, const util::FileSystem& files) {
  if (!memo) return secret_reason(host_file, relative_path, fd, files);
  if (auto r = secret_name_reason(host_file, relative_path)) return r;
  auto stamp = fd >= 0 ? files.fstat(fd) : files.lstat(host_file);
  const bool known = stamp.has_value();
  struct stat st {};
  if (known) st = *stamp;
  // A small file costs one read to scan, less than its record would cost to
  // load and check: only files of at least kSecretMemoMinBytes are memoised.
  if (!known || !S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) < kSecretMemoMinBytes)
    return secret_content_reason(host_file, relative_path, fd, files);
  std::error_code ec;
  // The verdict depends on both spellings of the path (credential files by name and directory).
  std::string key = fs::absolute(host_file, ec).lexically_normal().string();
  if (ec) return secret_content_reason(host_file, relative_path, fd, files);
  key += '\0';
  key += relative_path;
  key += '\0';
  key += host_file.lexically_normal().generic_string();
  if (auto hit = memo->find(key, st)) return *hit;
  auto why = secret_content_reason(host_file, relative_path, fd, files);
  memo->remember(key, st, why);
  return why;
}

}  // namespace slimbuild::rootfs
