// Single-file output formats made from an OCI layout, byte-reproducible:
// `oci-archive` (a tar of the layout, as skopeo's oci-archive: transport
// reads) and `docker-archive` (manifest.json with RepoTags, for `docker load`
// and `podman load`). Entries sorted, mtime 0 (or the given epoch), uid/gid 0.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace slimbuild::image {

namespace fs = std::filesystem;

enum class OutputFormat { Oci, OciArchive, DockerArchive };

// Written atomically (temporary sibling, then rename).
void write_oci_archive(const fs::path& layout, const fs::path& out_file, int64_t mtime);
void write_docker_archive(const fs::path& layout, const std::string& ref_name,
                          const std::vector<std::string>& repo_tags, const fs::path& out_file, int64_t mtime);

// Unpacks an oci-archive or docker-archive into a layout directory (for
// inspect/verify/diff of archives); returns which of the two it was. A
// docker-archive gets a new OCI manifest (its format keeps none), so only its
// config and layers keep their digests.
OutputFormat archive_to_layout(const fs::path& archive, const fs::path& out_dir);

}  // namespace slimbuild::image
