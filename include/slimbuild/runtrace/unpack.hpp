// An image unpacked into a directory so `check` can run it: the layers are
// extracted in order with libarchive (owners, modes and symlinks kept,
// whiteouts applied, no entry may climb out of the directory or write
// through a symlink, device nodes skipped), each blob checked against its
// digest, and the run settings read from the image config.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/image/layout.hpp>

namespace slimbuild::runtrace {

namespace fs = std::filesystem;

struct ImageRunConfig {
  std::vector<std::string> entrypoint, cmd, env;
  std::string user;     // as in the config: "uid:gid", "uid", "name", or ""
  std::string workdir;  // "" = "/"
};

ImageRunConfig read_run_config(const image::LayoutReader& layout, const image::Descriptor& manifest);

// Extracts the layers of `manifest` into `root` (an existing empty directory).
void unpack_image(const image::LayoutReader& layout, const image::Descriptor& manifest, const fs::path& root);

// "65532:65532", "65532" (gid from the image's /etc/passwd, else = uid), or a
// user name looked up in `root`/etc/passwd. Throws Error for an unknown name.
std::pair<unsigned, unsigned> resolve_user(const std::string& user, const fs::path& root);

}  // namespace slimbuild::runtrace
