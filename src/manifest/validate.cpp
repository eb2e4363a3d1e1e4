// Value rules for names, paths, modes and ports. Limits follow what the
// consumers accept: OCI ref names and Docker/registry repository components
// for `name`, useradd/shadow-utils for user names, POSIX for env names.
#include "manifest/validate.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include <slimbuild/util/image_path.hpp>

namespace slimbuild::manifest {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 80;
  std::string out(s.substr(0, kMax));
  for (char& c : out)
    if (c == '\n' || c == '\r' || c == '\0') c = ' ';
  return "'" + out + (s.size() > kMax ? "...'" : "'");
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<Problem> check_image_name(std::string_view name) {
  if (name.empty()) return Problem{"must not be empty", "e.g. name: hello"};
  if (name.size() > 128) return Problem{"is " + std::to_string(name.size()) + " characters; the limit is 128", {}};
  if (name.front() == '.' || name.front() == '-')
    return Problem{"must start with a lower-case letter or a digit, got " + quoted(name), {}};
  for (char c : name) {
    if (is_lower_alnum(c) || c == '.' || c == '_' || c == '-') continue;
    std::string hint = "use only a-z, 0-9, '.', '_' and '-'";
    if (std::isupper(static_cast<unsigned char>(c))) hint = "names are lower-case: did you mean " + quoted(lowered(name)) + "?";
    return Problem{"may only contain lower-case letters, digits, '.', '_' and '-', got " + quoted(name), hint};
  }
  return std::nullopt;
}

std::optional<Problem> check_user_name(std::string_view name) {
  if (name == "root") return Problem{"may not be 'root': images run as a non-root user", "e.g. name: app"};
  bool ok = !name.empty() && name.size() <= 32 && (name.front() == '_' || (name.front() >= 'a' && name.front() <= 'z'));
  for (std::size_t i = 1; ok && i < name.size(); ++i) {
    char c = name[i];
    ok = is_lower_alnum(c) || c == '_' || c == '-' || (c == '$' && i + 1 == name.size());
  }
  if (ok) return std::nullopt;
  return Problem{"must be a user name like 'app' ([a-z_][a-z0-9_-]*, at most 32 characters), got " + quoted(name), {}};
}

std::optional<Problem> check_env_name(std::string_view name) {
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front()));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (ok) return std::nullopt;
  return Problem{"is not a valid environment variable name (letters, digits and '_', not starting with a digit)", {}};
}

std::optional<Problem> check_image_reference(std::string_view ref) {
  if (ref.empty()) return Problem{"must not be empty", "e.g. image: registry.example.com/team/hello:1.0"};
  if (ref.find("://") != std::string_view::npos)
    return Problem{"must be an image reference, not a URL: " + quoted(ref),
                   "drop the scheme, e.g. registry.example.com/team/hello:1.0"};
  for (char c : ref)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return Problem{"must not contain whitespace, got " + quoted(ref), {}};
  return std::nullopt;
}

std::expected<std::string, Problem> normalise_image_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos || path.find('\n') != std::string_view::npos ||
      path.find('\r') != std::string_view::npos)
    return std::unexpected(Problem{"must not contain NUL or newline characters", {}});
  auto normal = util::normalize_image_path(path);
  if (normal) return *normal;
  if (normal.error() == util::ImagePathError::ClimbsOut)
    return std::unexpected(Problem{"may not climb out of the image root: " + quoted(path), "remove the '..' components"});
  return std::unexpected(Problem{"must be an absolute path inside the image, got " + quoted(path),
                                 "start it with '/', e.g. /" + std::string(path.substr(0, 40))});
}

std::optional<Problem> check_not_runtime_mount(std::string_view path) {
  for (std::string_view mount : {"/proc", "/sys", "/dev"})
    if (path == mount || (path.starts_with(mount) && path[mount.size()] == '/'))
      return Problem{"is under " + std::string(mount) + ", which the container runtime mounts over: " + quoted(path),
                     "anything put there would be hidden when the image runs; choose another path"};
  return std::nullopt;
}

std::expected<std::uint32_t, Problem> parse_mode(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with("0o") || digits.starts_with("0O")) digits.remove_prefix(2);
  bool octal = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; });
  if (!octal)
    return std::unexpected(Problem{"must be an octal permission string like \"0644\", got " + quoted(text),
                                   "quote it, e.g. mode: \"0640\"; symbolic modes (u+x) are not supported"});
  std::uint32_t mode = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mode, 8);
  if (ec != std::errc() || mode > 07777) return std::unexpected(Problem{"is more than 07777, got " + quoted(text), {}});
  if (mode & 07000)
    return std::unexpected(Problem{"sets the setuid, setgid or sticky bit (" + quoted(text) +
                                       "); these are never allowed in slimbuild images",
                                   "use plain permission bits, e.g. \"0755\""});
  return mode;
}

std::expected<std::string, Problem> normalise_port(std::string_view text) {
  std::string_view number = text;
  std::string proto = "tcp";
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    number = text.substr(0, slash);
    proto = lowered(text.substr(slash + 1));
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
      return std::unexpected(Problem{"has an unknown protocol in " + quoted(text) + "; use tcp, udp or sctp", {}});
  }
  int port = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), port);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || port < 1 || port > 65535)
    return std::unexpected(Problem{"must be a port number 1-65535, optionally with /tcp, /udp or /sctp, got " +
                                       quoted(text),
                                   "e.g. ports: [8080, \"53/udp\"]"});
  return std::to_string(port) + "/" + proto;
}

int port_number(std::string_view normalised) {
  int port = 0;
  std::from_chars(normalised.data(), normalised.data() + normalised.size(), port);
  return port;
}

}  // namespace slimbuild::manifest
