// Readers for the manifest sections that are more than one value: the
// binary, extra files, the user, CA certificates and time zones. They share
// one rule for host paths: relative to the manifest's directory (never the
// working directory), checked to exist with the expected kind, and reported
// at the exact node when they do not.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <slimbuild/manifest/manifest.hpp>

#include <slimbuild/manifest/yaml_reader.hpp>

namespace slimbuild::manifest {

enum class HostKind { File, Directory, FileOrDirectory };

// A host path from the manifest: absolute, lexically normal, existing.
std::optional<fs::path> read_host_path(const YamlNode& node, std::string_view what, HostKind kind,
                                       const fs::path& base_dir, Diagnostics& diag);

// A destination inside the image, normalised (see normalise_image_path).
std::optional<std::string> read_image_path(const YamlNode& node, std::string_view what, Diagnostics& diag);

// `binary: build/hello` or `binary: {path, dest}`.
std::optional<BinarySpec> read_binary(const YamlNode& node, const fs::path& base_dir, Diagnostics& diag,
                                      const std::string& what = "binary");
// `files: [{src, dest, mode?, exclude?}, ...]`.
std::vector<FileSpec> read_files(const YamlNode& node, const fs::path& base_dir, Diagnostics& diag,
                                 const std::string& what = "files");
// `libraries: [soname | /abs/path, ...]`, normalised and deduplicated.
std::vector<std::string> read_libraries(const YamlNode& node, const std::string& what, Diagnostics& diag);
// `compression: gzip|zstd` or `{algorithm, level}`; levels checked per algorithm.
std::optional<CompressionSpec> read_compression(const YamlNode& node, Diagnostics& diag);
// `user: {name?, uid, gid?}`; root is refused.
std::optional<UserSpec> read_user(const YamlNode& node, Diagnostics& diag);
// `ca_certificates: true|false|path/to/bundle.pem`.
CaCertificates read_ca_certificates(const YamlNode& node, const fs::path& base_dir, Diagnostics& diag);
// `tzdata: true|false|[zones]`; zones must exist under <sysroot>/usr/share/zoneinfo.
TzData read_tzdata(const YamlNode& node, const fs::path& sysroot, Diagnostics& diag);
// `timezone: Zone/Name`, checked the same way.
std::optional<std::string> read_timezone(const YamlNode& node, const fs::path& sysroot, Diagnostics& diag);

}  // namespace slimbuild::manifest
