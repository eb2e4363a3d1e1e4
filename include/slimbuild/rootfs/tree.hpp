// Copying host files and whole directory trees into a Rootfs, with the rules
// every host-sourced entry follows: modes come from the owner exec bit (0755
// or 0644, as git does) unless the manifest names one, so the host's umask
// and chmod history never reach the image; directories are walked in bytewise
// order; symlinks stay links only while they point inside the tree (a link
// out of the tree would ship a dangling or, worse, a host-dependent path);
// hard links become independent files; devices, sockets and fifos are
// refused. Used by `files:` and by `tzdata: true`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/util/filesystem.hpp>

namespace slimbuild::rootfs {

// 0755 when the owner may execute `host_file` (following symlinks), else 0644.
uint32_t mode_from_exec_bit(const fs::path& host_file, const util::FileSystem& files = util::real_filesystem());

// A regular host file as an image entry (source streamed later by the layer).
Entry file_entry(const fs::path& host_file, const std::string& image_path, uint32_t mode, EntryOrigin origin,
                 const util::FileSystem& files = util::real_filesystem());

// Adds the sysroot file that `image_path` names, recreating every symlink met
// on the way (via trace::resolve_in_sysroot: /lib -> usr/lib, libz.so.1 ->
// libz.so.1.2.13, UTC -> Etc/UTC) so the path works in the image exactly as
// on the host, then the real file with its exec-bit mode. Returns the image
// path of the real file.
std::string add_from_sysroot(Rootfs& rootfs, const fs::path& sysroot, const std::string& image_path,
                             EntryOrigin origin, const std::vector<std::string>& needed_by = {},
                             const util::FileSystem& files = util::real_filesystem());

// How much of a rootfs's small tree files may be kept in memory after the
// walk read them (Entry::held): files of at most `file_max` bytes, until
// `left` bytes are used. One budget serves a whole rootfs, so memory stays
// bounded whatever the image's size; what does not fit is read by the layer.
struct HoldBudget {
  std::size_t file_max = 64 << 10;
  std::size_t left = 32 << 20;
};

struct TreeOptions {
  EntryOrigin origin = EntryOrigin::Files;  // Entry::origin for everything added
  std::optional<uint32_t> file_mode;    // overrides the exec-bit rule for files
  // Called with the path relative to the tree root ('/'-separated, no leading
  // slash); true skips the entry (and, for a directory, everything below it).
  std::function<bool(std::string_view relative, bool is_dir)> skip;
  // Called for every regular file that will be added; throws to refuse it.
  // `file` is the walked file itself, opened beneath the tree root without
  // following links and checked against the walk's identity, so a check
  // reads exactly what the layer will (or the build fails naming the file).
  // `held`: the file's whole content when the walk keeps it (then `file` is
  // -1: the bytes were read beneath the root, and the fstat after the read,
  // which the entry records, describes them); else null.
  std::function<void(const fs::path& host_file, std::string_view relative, int file, const std::string* held)> check_file;
  // check_file is thread-safe: for a file too big to hold, the walk's
  // reader threads call it with the descriptor they opened (so a scan that
  // reads the whole file runs on every core); otherwise every call is on
  // the walk's thread, in walk order.
  bool check_file_concurrently = false;
  // Small files are read whole by the walk and kept in their entries, within
  // this budget (null: none are). With a budget, regular files the listing
  // names as such are not lstat'ed: batches of them are opened, read and
  // fstat'ed on up to 4 threads (when the FileSystem is concurrent()), and
  // the budget is then taken in walk order.
  HoldBudget* hold = nullptr;
  // Every lstat, listing, readlink and open of the walk (null: the real one).
  const util::FileSystem* filesystem = &util::real_filesystem();
};

// Adds the contents of host directory `src` below image directory `dest`
// (`dest` itself is added as a 0755 directory). Throws Error naming the
// offending host path for special files and links that leave the tree.
void add_tree(Rootfs& rootfs, const fs::path& src, const std::string& dest, const TreeOptions& options);

// Lexically resolves symlink `target` of the link at `link_relative` (both
// relative to a tree root; an absolute target is a host path and is made
// relative to `tree_root`). Returns the target relative to the link's
// directory when it stays inside the tree, nullopt when it leaves it.
std::optional<std::string> link_inside_tree(const fs::path& tree_root, std::string_view link_relative,
                                            const std::string& target,
                                            const util::FileSystem& files = util::real_filesystem());

}  // namespace slimbuild::rootfs
