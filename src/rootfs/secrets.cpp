// Recognising files that should never be copied into an image by accident:
// private keys, credential stores and dotenv files that tend to sit next to
// the sources a `files:` tree points at. The checks are deliberately about
// what a file *is* (its name, where it lives, a PEM header) rather than
// entropy guessing, so a hit is always explainable in one sentence and the
// user can override it by listing that one file explicitly in `files:`.
//
// Rules (first hit wins):
//   - any path component ".git" (repository internals, credentials in config)
//   - .env and .env.* (except .env.example/.sample/.template/.dist)
//   - SSH private keys id_rsa, id_dsa, id_ecdsa, id_ed25519 (and *_sk); .pub is fine
//   - .git-credentials, .aws/credentials, gcloud application_default_credentials.json,
//     credentials.db, access_tokens.db, anything under .azure/, .kube/config
//   - .npmrc with _authToken/_auth/_password, .netrc/_netrc with password,
//     .pypirc with password, .docker/config.json with "auth"/"identitytoken"
//   - PKCS#12 / Java keystores: *.p12, *.pfx, *.jks, *.keystore
//   - any file whose first 64 KiB hold a "-----BEGIN ... PRIVATE KEY-----" block
//     (RSA, EC, DSA, OPENSSH, ENCRYPTED, PKCS#8, PGP ... PRIVATE KEY BLOCK)
#include "rootfs/secrets.hpp"

#include <algorithm>
#include <array>
#include <fstream>

namespace slimbuild::rootfs {

namespace {

constexpr std::size_t kScanBytes = 64 * 1024;

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The bounded prefix every content rule looks at; "" for non-regular files.
std::string read_prefix(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return {};
  std::ifstream in(file, std::ios::binary);
  std::string buf(kScanBytes, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return buf;
}

std::optional<std::string> pem_private_key(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  for (std::size_t pos = text.find(kBegin); pos != std::string_view::npos; pos = text.find(kBegin, pos + 1)) {
    std::size_t label_start = pos + kBegin.size();
    std::size_t label_end = text.find("-----", label_start);
    if (label_end == std::string_view::npos || label_end - label_start > 64) continue;
    std::string_view label = text.substr(label_start, label_end - label_start);
    if (ends_with(label, "PRIVATE KEY") || ends_with(label, "PRIVATE KEY BLOCK"))
      return "contains a PEM private key block (" + std::string(label) + ")";
  }
  return std::nullopt;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return text.find(n) != std::string_view::npos; });
}

// Rules that only need the file's name and the directories above it.
std::optional<std::string> name_reason(const std::vector<std::string>& parts) {
  if (parts.empty()) return std::nullopt;
  for (const auto& p : parts)
    if (p == ".git") return "is inside a .git directory (repository internals and credentials)";
  const std::string& name = parts.back();
  const std::string parent = parts.size() >= 2 ? parts[parts.size() - 2] : std::string{};
  const std::string lname = lower(name);

  if (name == ".env" || name.rfind(".env.", 0) == 0) {
    static constexpr std::array<std::string_view, 4> kTemplates{".env.example", ".env.sample", ".env.template",
                                                                ".env.dist"};
    if (std::find(kTemplates.begin(), kTemplates.end(), name) == kTemplates.end())
      return "is a .env file (environment secrets)";
  }
  for (std::string_view key : {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"})
    if (name == key) return "is an SSH private key (" + name + ")";
  if (name == ".git-credentials") return "is a git credential store (.git-credentials)";
  if (parent == ".aws" && name == "credentials") return "is an AWS credentials file (.aws/credentials)";
  if (name == "application_default_credentials.json" || (parent == "gcloud" && (name == "credentials.db" || name == "access_tokens.db")))
    return "is a Google Cloud credentials file (" + name + ")";
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    if (parts[i] == ".azure") return "is inside an Azure CLI profile (.azure/)";
  if (parent == ".kube" && name == "config") return "is a Kubernetes client config (.kube/config, may hold tokens)";
  for (std::string_view ext : {".p12", ".pfx", ".jks", ".keystore"})
    if (ends_with(lname, ext)) return "is a key store (" + std::string(ext.substr(1)) + ") that may hold private keys";
  return std::nullopt;
}

// Rules for well-known config files that are harmless unless they hold a token.
std::optional<std::string> credential_file_reason(const std::vector<std::string>& parts, const fs::path& host_file) {
  const std::string& name = parts.back();
  const std::string parent = parts.size() >= 2 ? parts[parts.size() - 2] : std::string{};
  bool npmrc = name == ".npmrc", netrc = name == ".netrc" || name == "_netrc", pypirc = name == ".pypirc";
  bool docker = parent == ".docker" && name == "config.json";
  if (!npmrc && !netrc && !pypirc && !docker) return std::nullopt;
  std::string text = read_prefix(host_file);
  if (npmrc && contains_any(text, {"_authToken", "_auth", "_password"})) return "is an .npmrc holding a registry token";
  if (netrc && contains_any(text, {"password"})) return "is a " + name + " holding passwords";
  if (pypirc && contains_any(text, {"password"})) return "is a .pypirc holding a package index password";
  if (docker && contains_any(text, {"\"auth\"", "\"identitytoken\""}))
    return "is a Docker client config holding registry credentials (.docker/config.json)";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> secret_reason(const fs::path& host_file, std::string_view relative_path) {
  // Directory rules look at both the path inside the tree and the host path,
  // so a tree rooted at ".aws/" or inside ".git/" is still recognised.
  for (const auto& parts : {components(relative_path), components(host_file.lexically_normal().generic_string())}) {
    if (auto r = name_reason(parts)) return r;
    if (!parts.empty())
      if (auto r = credential_file_reason(parts, host_file)) return r;
  }
  return pem_private_key(read_prefix(host_file));
}

}  // namespace slimbuild::rootfs
