// The value rules of the manifest, as pure functions on strings: image and
// user names, environment names, destination paths inside the image, file
// modes and ports. They know nothing about YAML or locations, which keeps them
// easy to test and reuse; the caller names the key and adds the location.
// Each Problem message reads as the end of "<key> ...", e.g. "files[1].dest"
// + " must be an absolute path, got 'etc/x'".
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace slimbuild::manifest {

struct Problem {
  std::string message;
  std::string hint;
};

// [a-z0-9._-]+, not starting with '.' or '-', at most 128 characters.
std::optional<Problem> check_image_name(std::string_view name);
// A POSIX-ish login name: [a-z_][a-z0-9_-]*[$]?, at most 32 characters, not "root".
std::optional<Problem> check_user_name(std::string_view name);
// [A-Za-z_][A-Za-z0-9_]*
std::optional<Problem> check_env_name(std::string_view name);
// Light checks only: the registry module parses references for real.
std::optional<Problem> check_image_reference(std::string_view ref);

// An absolute path inside the image, normalised: "//a/./b/" -> "/a/b".
// ".." may go up a level but never above "/". NUL and newlines are refused.
std::expected<std::string, Problem> normalise_image_path(std::string_view path);

// Content under /proc, /sys or /dev is hidden at run time: every OCI
// runtime mounts its own file systems there. `path` is normalised.
std::optional<Problem> check_not_runtime_mount(std::string_view path);

// "0640", "640" or "0o640" -> 0640. Only permission bits: setuid, setgid and
// sticky are refused, and so is anything that is not octal or exceeds 07777.
std::expected<std::uint32_t, Problem> parse_mode(std::string_view text);

// 3000, "3000", "8443/tcp", "53/UDP" -> "3000/tcp", "8443/tcp", "53/udp".
std::expected<std::string, Problem> normalise_port(std::string_view text);
// The number of a normalised port, for sorting.
int port_number(std::string_view normalised);

}  // namespace slimbuild::manifest
