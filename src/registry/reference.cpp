// Reference grammar from distribution/reference (regexp.go, normalize.go),
// written out by hand: the inputs are short and a hand parser gives better
// messages than a failed regex. Hostile input is bounded by a length check.
#include <slimbuild/registry/reference.hpp>

#include <algorithm>
#include <cctype>

#include <slimbuild/util/sha256.hpp>

namespace slimbuild::registry {

namespace {

constexpr std::size_t kMaxReferenceLength = 4096;
constexpr std::size_t kMaxNameLength = 255;  // distribution's NameTotalLengthMax

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool valid_path_component(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    if (is_lower_alnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !is_lower_alnum(s[j])) ++j;
    std::string_view sep = s.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" || std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
    if (!ok) return false;
    i = j;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_port(std::string_view p) {
  return !p.empty() && p.size() <= 5 && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_domain(std::string_view d) {
  std::string_view host = d;
  if (!d.empty() && d.front() == '[') {  // IPv6 literal, optionally with a port
    auto close = d.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    std::string_view ip = d.substr(1, close - 1);
    if (!std::all_of(ip.begin(), ip.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':'; }))
      return false;
    std::string_view rest = d.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && valid_port(rest.substr(1)));
  }
  if (auto colon = d.rfind(':'); colon != std::string_view::npos) {
    if (!valid_port(d.substr(colon + 1))) return false;
    host = d.substr(0, colon);
  }
  if (host.empty()) return false;
  std::size_t start = 0;
  while (true) {
    auto dot = host.find('.', start);
    if (!valid_domain_component(host.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Error bad(std::string_view text, const std::string& why, std::string hint = {}) {
  if (hint.empty()) hint = "use the form [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST], e.g. 127.0.0.1:5000/team/app:1.0";
  std::string shown(text.substr(0, 200));
  return Error("invalid image reference '" + shown + "': " + why, std::move(hint), kExitUsage);
}

}  // namespace

bool is_valid_tag(std::string_view t) {
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  if (t.empty() || t.size() > 128 || !word(t.front())) return false;
  return std::all_of(t.begin(), t.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

std::string Reference::api_host() const { return registry == kDockerHubDomain ? kDockerHubApiHost : registry; }
std::string Reference::manifest_ref() const { return digest ? *digest : tag_or_latest(); }
std::string Reference::tag_or_latest() const { return tag ? *tag : "latest"; }

std::string Reference::str() const {
  std::string s = name();
  if (tag) s += ":" + *tag;
  if (digest) s += "@" + *digest;
  return s;
}

Result<Reference> parse_reference(std::string_view text) {
  if (text.empty()) return std::unexpected(bad(text, "it is empty"));
  if (text.size() > kMaxReferenceLength) return std::unexpected(bad(text, "it is too long"));
  for (char c : text)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return std::unexpected(bad(text, "it contains whitespace or control characters"));
  if (text.find("://") != std::string_view::npos)
    return std::unexpected(bad(text, "a reference has no URL scheme",
                               "drop the http:// or https:// prefix; use --insecure-registry to allow plain HTTP"));

  Reference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string d(rest.substr(at + 1));
    if (!util::is_sha256_digest(d))
      return std::unexpected(bad(text, "the digest must be sha256: followed by 64 lowercase hex digits"));
    ref.digest = d;
    rest = rest.substr(0, at);
  }
  // A tag is after the last ':' that follows the last '/', so host:port stays intact.
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view t = rest.substr(colon + 1);
    if (!is_valid_tag(t))
      return std::unexpected(bad(text, "invalid tag '" + std::string(t) + "' (letters, digits, '_', '.', '-'; at most 128)"));
    ref.tag = std::string(t);
    rest = rest.substr(0, colon);
  }

  std::string_view domain, path = rest;
  auto first = rest.find('/');
  if (first != std::string_view::npos) {
    std::string_view head = rest.substr(0, first);
    bool looks_like_host = head.find_first_of(".:") != std::string_view::npos || head == "localhost" ||
                           std::any_of(head.begin(), head.end(), [](char c) { return c >= 'A' && c <= 'Z'; }) ||
                           head.front() == '[';
    if (looks_like_host) {
      domain = head;
      path = rest.substr(first + 1);
    }
  }
  if (domain.empty()) {
    ref.registry = kDockerHubDomain;
  } else {
    if (!valid_domain(domain)) return std::unexpected(bad(text, "invalid registry host '" + std::string(domain) + "'"));
    ref.registry = std::string(domain);
    if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io") ref.registry = kDockerHubDomain;
  }
  if (path.empty()) return std::unexpected(bad(text, "the repository name is missing"));
  if (std::any_of(path.begin(), path.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return std::unexpected(bad(text, "repository name must be lowercase"));
  std::size_t start = 0;
  while (true) {
    auto end = path.find('/', start);
    std::string_view comp = path.substr(start, end == std::string_view::npos ? end : end - start);
    if (!valid_path_component(comp))
      return std::unexpected(bad(text, "invalid repository path component '" + std::string(comp) +
                                           "' (lowercase letters and digits, separated by '.', '_', '__' or '-')"));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  ref.repository = std::string(path);
  if (ref.registry == kDockerHubDomain && ref.repository.find('/') == std::string::npos)
    ref.repository = "library/" + ref.repository;
  if (ref.name().size() > kMaxNameLength)
    return std::unexpected(bad(text, "the name is longer than 255 characters"));
  return ref;
}

bool is_loopback_registry(std::string_view registry) {
  std::string_view host = registry;
  if (!host.empty() && host.front() == '[') return host.substr(0, 5) == "[::1]";
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

}  // namespace slimbuild::registry
