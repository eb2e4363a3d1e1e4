// The SBOMs' file hashes (see the header).
#include <slimbuild/provenance/file_hashes.hpp>

#include <cerrno>
#include <cstring>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::provenance {

bool worth_hashing_beside_layer(const rootfs::Rootfs& rootfs) {
  uint64_t on_disk = 0;
  for (const auto& [path, e] : rootfs.entries())
    if (e.type == rootfs::EntryType::File && !rootfs::bytes_in_memory(e)) on_disk += e.size;
  return on_disk <= kHashBesideLayerMax;
}

namespace {

std::string sha256_of(const rootfs::Entry& e, rootfs::SourceOpener& sources) {
  if (rootfs::bytes_in_memory(e)) return util::sha256_hex(e.content);
  util::Fd fd = sources.open(e);
  errno = 0;
  auto hex = util::sha256_fd_hex(fd.get());
  if (!hex) {
    int err = errno;
    throw Error("cannot read " + e.source.string() + ": " + (err ? std::strerror(err) : "read failed"),
                "check that the file is readable and not being modified, then run the build again");
  }
  return std::move(*hex);
}

}  // namespace

std::string entry_sha256(const rootfs::Entry& e) {
  rootfs::SourceOpener sources;
  return sha256_of(e, sources);
}

FileHashes hash_files(const rootfs::Rootfs& rootfs) {
  FileHashes hashes;
  rootfs::SourceOpener sources;  // a tree's files are consecutive: its root is opened once
  for (const auto& [path, e] : rootfs.entries())
    if (e.type == rootfs::EntryType::File) hashes.emplace(path, sha256_of(e, sources));
  return hashes;
}

void check_same_hashes(const FileHashes& sbom, const FileHashes& layer) {
  for (const auto& [path, hash] : sbom)
    if (auto it = layer.find(path); it != layer.end() && it->second != hash)
      throw Error(path + " changed while the image was being built (its bytes in the layer and in the SBOM differ)",
                  "make sure nothing modifies the inputs during the build, then run it again");
}

}  // namespace slimbuild::provenance
