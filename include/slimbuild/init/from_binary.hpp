// `slimbuild init BINARY`: a starter manifest from what the binary is. The
// facts are gathered once (the trace stage's closure, and a byte scan of the
// binary and its libraries for the paths Go's and C libraries' trust and
// time-zone code names); the starter is a pure function of the facts, so the
// rules (docs/init.md) are unit-tested without real binaries.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <slimbuild/init/starter.hpp>

namespace slimbuild::init {

struct BinaryFacts {
  std::string file_name;               // "curl"
  bool is_static = false;
  bool go = false;                     // Go build information is present
  std::vector<std::string> libraries;  // sonames of the whole closure, load order
  bool names_ca_paths = false;         // the binary names the system CA bundle (/etc/ssl/certs/..., SSL_CERT_FILE)
  bool names_zoneinfo = false;         // the binary, or a library other than the C library's own, names zoneinfo
};

struct FromBinaryOptions {
  std::filesystem::path binary;        // absolute
  std::filesystem::path manifest_dir;  // absolute
  std::string name;                    // --name; empty = from the file name
};

// Traces `binary` (sysroot /) and scans it; throws Error like `trace` does.
BinaryFacts read_binary_facts(const std::filesystem::path& binary);

Starter starter_from_facts(const BinaryFacts& facts, const FromBinaryOptions& options);

// The TLS library among `libraries` (libssl, libgnutls, libnss3, libcurl, ...), or "".
std::string tls_library(const std::vector<std::string>& libraries);

}  // namespace slimbuild::init
