// Finding credentials for a registry the way docker and podman do: auth
// files (REGISTRY_AUTH_FILE, podman's $XDG_RUNTIME_DIR/containers/auth.json,
// $DOCKER_CONFIG/config.json or ~/.docker/config.json), in each the
// credHelpers entry for the host, else credsStore, else the inline `auths`
// entry (base64 "auth", username/password, identitytoken). Keys are matched
// after dropping any scheme and path, and Docker Hub answers to its legacy
// key "https://index.docker.io/v1/".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/process.hpp>

namespace slimbuild::registry {

namespace fs = std::filesystem;

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // OAuth2 refresh token (docker login with an IdP)
  std::string source;          // where they came from, for messages (never the secret)
};

// The auth files to consult, in order, from the environment.
std::vector<fs::path> auth_file_candidates();

// The key docker uses for `registry` in config files and helpers:
// "https://index.docker.io/v1/" for Docker Hub, the host[:port] otherwise.
std::string credential_server_url(const std::string& registry);

// Normalises a config key: "https://host:5000/v2/" -> "host:5000"; Docker
// Hub's aliases map to "docker.io".
std::string normalize_auth_key(std::string_view key);

// Looks `registry` up in `files` (first match wins). A file that cannot be
// parsed, or a helper that fails for a reason other than "not found", is an
// error value naming the file or helper. Helpers run through `runner`; one
// that fails, prints garbage or does not answer within a minute is an error.
Result<std::optional<Credentials>> lookup_credentials(const std::string& registry, const std::vector<fs::path>& files,
                                                      util::ProcessRunner& runner = util::real_process_runner());

}  // namespace slimbuild::registry
