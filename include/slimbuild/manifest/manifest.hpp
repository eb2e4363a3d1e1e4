// The manifest as a plain struct: what the user asked for, validated and with
// every source path made absolute (relative paths resolve against the
// manifest's directory, never the working directory) and every destination
// normalised to an absolute image path that cannot climb out of "/".
// load_manifest() is strict: unknown keys (with "did you mean"), wrong types,
// root users, bad destinations and missing required keys all throw
// ManifestError naming file:line:column.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/util/error.hpp>

namespace slimbuild::manifest {

namespace fs = std::filesystem;

struct SourceLocation {
  std::string file;  // as the user named the manifest
  int line = 0;      // 1-based
  int column = 0;    // 1-based
  std::string str() const { return file + ":" + std::to_string(line) + ":" + std::to_string(column); }
};

// "<file>:<line>:<col>: <message>"; exit code kExitFailure.
class ManifestError : public Error {
 public:
  ManifestError(const SourceLocation& where, const std::string& message, std::string hint = {})
      : Error(where.str() + ": " + message, std::move(hint)), where_(where) {}
  const SourceLocation& where() const noexcept { return where_; }

 private:
  SourceLocation where_;
};

struct BinarySpec {
  fs::path path;     // absolute host path
  std::string dest;  // absolute image path, default /app/<basename>
  SourceLocation where;
};

struct FileSpec {
  fs::path src;                      // absolute host path (file or directory)
  std::string dest;                  // absolute image path; a trailing '/' in the manifest means "into this directory"
  bool dest_is_dir = false;          // dest ended with '/'
  std::optional<uint32_t> mode;      // permission bits from "0640"; none = 0644/0755 from the exec bit
  std::vector<std::string> exclude;  // gitignore-style patterns, for trees
  SourceLocation where;
};

struct UserSpec {
  std::string name = "app";
  uint32_t uid = 0;  // never 0 after validation
  uint32_t gid = 0;  // defaults to uid; never 0
  SourceLocation where;
};

struct CaCertificates {
  bool enabled = false;
  fs::path bundle;  // absolute; empty = the build system's bundle (under sysroot)
  SourceLocation where;
};

struct TzData {
  bool all = false;                 // `tzdata: true`
  std::vector<std::string> zones;   // e.g. "Europe/Ljubljana"; includes `timezone`; each one exists under sysroot
  SourceLocation where;
};

// How the layer is compressed. Plain values here; the layer stage owns the
// compressors (gzip: 0..9, default 6; zstd: 1..19, default 3).
struct CompressionSpec {
  std::string algorithm = "gzip";  // "gzip" or "zstd"
  std::optional<int> level;        // unset: the algorithm's default
  SourceLocation where;            // unset (line 0) when defaulted
};

// An OCI platform as the manifest and --platform write it: "linux/arm64",
// "linux/arm/v7". The variant is empty when not written (the binary's ELF
// then decides it).
struct PlatformName {
  std::string os = "linux";
  std::string architecture;  // GOARCH spelling: amd64, arm64, arm, 386, ppc64le, s390x, riscv64, ...
  std::string variant;       // "", or v8 (arm64), v5/v6/v7/v8 (arm)
  std::string str() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }
  bool operator==(const PlatformName&) const = default;
};

// "linux/arm64" -> PlatformName, or a message saying what is wrong (for
// --platform and the manifest's platforms[].platform).
std::expected<PlatformName, std::string> parse_platform(const std::string& text);

// One entry of `platforms:`: the binary for that platform and what only it
// needs; every other key of the manifest is shared by all entries.
struct PlatformSpec {
  PlatformName platform;
  SourceLocation where;                // the `platform:` value
  BinarySpec binary;
  std::optional<fs::path> sysroot;     // replaces the shared sysroot for this platform
  std::vector<std::string> libraries;  // added to the shared libraries
  std::vector<FileSpec> files;         // added to the shared files
};

struct Manifest {
  fs::path file;  // absolute path of the manifest
  fs::path dir;   // its directory: base for relative sources
  SourceLocation where;  // the document itself, for errors about the manifest as a whole

  std::string name;                  // [a-z0-9._-]+
  std::optional<std::string> image;  // push reference (only lightly checked: non-empty, no spaces, no URL)
  SourceLocation image_where;        // for reference errors found later by the registry module
  BinarySpec binary;
  std::vector<std::string> entrypoint;  // already defaulted to {binary.dest}; empty only for an explicit `entrypoint: []` with a cmd
  SourceLocation entrypoint_where;      // unset (line 0) when defaulted
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> libraries;   // dlopen()ed sonames or absolute (normalised) paths, deduplicated
  SourceLocation libraries_where;
  std::vector<FileSpec> files;
  UserSpec user;
  CaCertificates ca_certificates;
  TzData tzdata;
  std::optional<std::string> timezone;  // implies that zone is included
  SourceLocation timezone_where;
  std::map<std::string, std::string> env;
  std::optional<std::string> workdir;   // absolute image path
  std::vector<std::string> ports;       // normalised "3000/tcp", "53/udp"
  std::map<std::string, std::string> labels;
  fs::path sysroot = "/";               // absolute host path
  bool scanner_metadata = true;         // dpkg status.d records, os-release, debian_version

  // How the runtime should run it (config, manifest annotations, layer metadata).
  std::optional<std::string> stop_signal;          // "SIGINT" (or a number "2"); config StopSignal
  std::vector<std::string> volumes;                // absolute, sorted; config Volumes
  std::map<std::string, std::string> annotations;  // on the OCI image manifest
  std::vector<std::string> writable;               // absolute, sorted: directories owned by the user
  std::vector<std::string> capabilities;           // "net_bind_service": file capabilities of the binary
  bool arbitrary_uid = false;                      // home + writable group 0, group-writable (OpenShift)
  CompressionSpec compression;

  // `platforms:` instead of `binary:`: one image per entry and an image
  // index over them. Empty for a single-image manifest.
  std::vector<PlatformSpec> platforms;
  // Set only in a manifest made by for_platform(): the platform its image is
  // for (checked against the binary's ELF by the build).
  std::optional<PlatformName> platform;
  SourceLocation platform_where;
};

Manifest load_manifest(const fs::path& file);

// The single-image manifest of one `platforms:` entry: its binary and
// sysroot, the shared libraries and files followed by its own, the shared
// rest, `platforms` empty and `platform` set. The default entrypoint is the
// entry's binary.
Manifest for_platform(const Manifest& manifest, const PlatformSpec& entry);
// For tests and `verify`: parse YAML text as if it were read from `file`.
Manifest parse_manifest(const std::string& yaml_text, const fs::path& file);

}  // namespace slimbuild::manifest
