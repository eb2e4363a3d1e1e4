// How to reach a registry, for every command that talks to one (push,
// pull, inspect/diff/audit of a reference, the layer cache's registry tier,
// build --push's layer stream): trust, plain http, credentials from
// --password-stdin, progress lines, chunk size and retries, and the platform
// a push or pull of an image index is narrowed to. The CLI fills it from the
// registry flags (src/cli/registry_flags.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace slimbuild::util { class ProcessRunner; }

namespace slimbuild::registry {

struct RegistryOptions {
  std::optional<std::filesystem::path> ca_file;     // extra trust, besides the system store and SSL_CERT_FILE
  bool insecure_registry = false;      // allow plain http://
  std::optional<std::string> username; // with password (from --password-stdin)
  std::optional<std::string> password;
  bool progress = true;                // per-blob progress/lines on stderr
  uint64_t chunk_size = 0;             // PATCH chunk size for large blobs; 0 = 64 MiB
  // At most this many tries per request (0: the retry policy's, default 5),
  // e.g. 2 for the layer cache, whose failures only cost speed.
  int max_attempts = 0;
  // For an image index: push only this platform's image ("linux/arm64"),
  // as a plain image under the tag.
  std::optional<std::string> platform;
  // Runs docker/podman credential helpers; none: util::real_process_runner().
  util::ProcessRunner* runner = nullptr;
};

}  // namespace slimbuild::registry
