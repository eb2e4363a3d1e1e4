// Guarding `files:` trees against shipping secrets by accident, and the
// gitignore-style `exclude:` patterns for trees.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <slimbuild/util/filesystem.hpp>

namespace slimbuild::rootfs {

namespace fs = std::filesystem;

// Why `host_file` looks like a secret ("contains a PEM private key block",
// "is an SSH private key (id_ed25519)", ".env file", "npm token in .npmrc",
// "AWS credentials file", "is inside a .git directory", ...) or nullopt.
// Content rules read the whole file, streamed in chunks: from `fd` when
// given (the caller's already-checked descriptor, read with pread so its
// offset is untouched), else from `host_file` opened through `files` without
// following a final symlink.
std::optional<std::string> secret_reason(const fs::path& host_file, std::string_view relative_path, int fd = -1,
                                         const util::FileSystem& files = util::real_filesystem());
// secret_reason in its two halves: the rules on the names alone (cheap), and
// the rules that read the content (the whole file; the verdict depends on
// the content and on both spellings of the path).
std::optional<std::string> secret_name_reason(const fs::path& host_file, std::string_view relative_path);
std::optional<std::string> secret_content_reason(const fs::path& host_file, std::string_view relative_path, int fd = -1,
                                                 const util::FileSystem& files = util::real_filesystem());
// secret_reason for a file whose whole content is already in memory (one
// the tree walk held): the same verdict, without reading the file again.
std::optional<std::string> secret_reason_of(const fs::path& host_file, std::string_view relative_path,
                                            std::string_view content);
// The same rules for a file of an image (`audit`): its image path and its
// first bytes (at least kSecretScanBytes when the file is that long).
std::optional<std::string> secret_reason_in(std::string_view image_path, std::string_view head);
inline constexpr std::size_t kSecretScanBytes = 64 * 1024;

// gitignore semantics for one tree: `relative_path` uses '/' and has no
// leading slash; later patterns override earlier ones; "!pat" re-includes;
// a trailing '/' matches directories only; "**" spans directories.
class ExcludeMatcher {
 public:
  explicit ExcludeMatcher(std::vector<std::string> patterns);
  bool excluded(std::string_view relative_path, bool is_dir) const;

 private:
  struct Rule {
    std::string glob;       // without "!", leading "/" or trailing "/"
    bool negate = false;    // "!pattern"
    bool dir_only = false;  // "pattern/"
    bool anchored = false;  // contains a '/': matched against the whole path
  };
  bool decide(std::string_view path, bool is_dir) const;
  std::vector<Rule> rules_;  // parsed once; trees are matched file by file
};

}  // namespace slimbuild::rootfs
