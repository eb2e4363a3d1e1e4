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
//   - PuTTY private keys (*.ppk), direnv's .envrc, NAME.env (prod.env, ...)
//   - directory names compare case-insensitively (.AWS/credentials is .aws/credentials)
//   - any file holding a "-----BEGIN ... PRIVATE KEY-----" block anywhere, in
//     ASCII/UTF-8 or UTF-16 (RSA, EC, DSA, OPENSSH, ENCRYPTED, PKCS#8, PGP ...
//     PRIVATE KEY BLOCK); the whole file is streamed in chunks, not a prefix
//     (an image's file in `audit`: its first kSecretScanBytes)
#include <slimbuild/rootfs/secrets.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <slimbuild/util/handles.hpp>

namespace slimbuild::rootfs {

namespace {

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

// Calls `chunk` with consecutive pieces of the file (each carrying the tail
// of the previous one, so a marker split across reads is still seen) until
// it returns true. pread on the caller's descriptor; else the path, opened
// O_NOFOLLOW (the walk never follows links, nor does this).
template <typename Chunk>
bool scan_file(const util::FileSystem& files, const fs::path& file, int fd, Chunk chunk) {
  util::Fd own;
  if (fd < 0) {
    auto opened = files.open_read(file, util::FinalLink::Refuse);
    if (!opened) return false;
    own = std::move(*opened);
    auto st = files.fstat(own.get());
    if (!st || !S_ISREG(st->st_mode)) return false;
    fd = own.get();
  }
  constexpr std::size_t kChunk = 1 << 20, kCarry = 256;
  // One buffer per thread, allocated once: a fresh zero-filled 1 MiB per
  // file was most of the time of a tree of 50,000 small files.
  thread_local std::vector<char> buf(kCarry + kChunk);
  std::size_t have = 0;
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf.data() + have, kChunk, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<std::size_t>(n);
    offset += n;
    if (chunk(std::string_view(buf.data(), have))) return true;
    std::size_t keep = std::min(have, kCarry);
    std::memmove(buf.data(), buf.data() + have - keep, keep);
    have = keep;
  }
}

// UTF-16 text of ASCII characters with its NUL halves dropped.
std::string without_nuls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text)
    if (c != '\0') out.push_back(c);
  return out;
}

// "BEGIN" with NULs between its letters allowed (B NUL* E NUL* G ...): the
// only way a NUL-free copy of `text` can hold a PEM header that `text` itself
// does not. Binary files are full of NULs; without this test every chunk of
// every library was copied to look for UTF-16 text that is not there.
bool has_spread_begin(std::string_view text) {
  constexpr std::string_view kWord = "BEGIN";
  for (std::size_t pos = text.find('B'); pos != std::string_view::npos; pos = text.find('B', pos + 1)) {
    std::size_t at = pos + 1, matched = 1;
    while (matched < kWord.size() && at < text.size()) {
      if (text[at] == '\0') {
        ++at;
      } else if (text[at] == kWord[matched]) {
        ++at, ++matched;
      } else {
        break;
      }
    }
    if (matched == kWord.size()) return true;
  }
  return false;
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
    if (lower(p) == ".git") return "is inside a .git directory (repository internals and credentials)";
  const std::string& name = parts.back();
  // Directory names are matched case-insensitively: macOS and Windows
  // checkouts hold ".AWS" or ".Kube" that the tools still read.
  const std::string parent = parts.size() >= 2 ? lower(parts[parts.size() - 2]) : std::string{};
  const std::string lname = lower(name);

  if (name == ".envrc") return "is a direnv .envrc (environment secrets)";
  if (lname.size() > 4 && ends_with(lname, ".env") && lname != "example.env" && lname != "sample.env" &&
      lname != "template.env")
    return "is a dotenv file (" + name + ", environment secrets)";
  if (ends_with(lname, ".ppk")) return "is a PuTTY private key (" + name + ")";
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
    if (lower(parts[i]) == ".azure") return "is inside an Azure CLI profile (.azure/)";
  if (parent == ".kube" && name == "config") return "is a Kubernetes client config (.kube/config, may hold tokens)";
  for (std::string_view ext : {".p12", ".pfx", ".jks", ".keystore"})
    if (ends_with(lname, ext)) return "is a key store (" + std::string(ext.substr(1)) + ") that may hold private keys";
  return std::nullopt;
}

// Rules for well-known config files that are harmless unless they hold a token.
std::optional<std::string> credential_file_reason(const std::vector<std::string>& parts, std::string_view text) {
  const std::string& name = parts.back();
  const std::string parent = parts.size() >= 2 ? lower(parts[parts.size() - 2]) : std::string{};
  bool npmrc = name == ".npmrc", netrc = name == ".netrc" || name == "_netrc", pypirc = name == ".pypirc";
  bool docker = parent == ".docker" && name == "config.json";
  if (npmrc && contains_any(text, {"_authToken", "_auth", "_password"})) return "is an .npmrc holding a registry token";
  if (netrc && contains_any(text, {"password"})) return "is a " + name + " holding passwords";
  if (pypirc && contains_any(text, {"password"})) return "is a .pypirc holding a package index password";
  if (docker && contains_any(text, {"\"auth\"", "\"identitytoken\""}))
    return "is a Docker client config holding registry credentials (.docker/config.json)";
  return std::nullopt;
}

// The content rules on one piece of a file: credential files by their
// spellings of the path, then a PEM private key in ASCII or UTF-16.
std::optional<std::string> content_reason(const std::vector<std::vector<std::string>>& spellings, std::string_view text) {
  for (const auto& parts : spellings)
    if (!parts.empty())
      if (auto r = credential_file_reason(parts, text)) return r;
  if (auto r = pem_private_key(text)) return r;
  if (text.find('\0') != std::string_view::npos && has_spread_begin(text))
    if (auto r = pem_private_key(without_nuls(text))) return *r + ", UTF-16 encoded";
  return std::nullopt;
}

// Name rules first, for every spelling of the path.
std::optional<std::string> name_reason_of(const std::vector<std::vector<std::string>>& spellings) {
  for (const auto& parts : spellings)
    if (auto r = name_reason(parts)) return r;
  return std::nullopt;
}

}  // namespace

namespace {

// Directory rules look at both the path inside the tree and the host path,
// so a tree rooted at ".aws/" or inside ".git/" is still recognised.
std::vector<std::vector<std::string>> spellings_of(const fs::path& host_file, std::string_view relative_path) {
  return {components(relative_path), components(host_file.lexically_normal().generic_string())};
}

}  // namespace

std::optional<std::string> secret_name_reason(const fs::path& host_file, std::string_view relative_path) {
  return name_reason_of(spellings_of(host_file, relative_path));
}

std::optional<std::string> secret_content_reason(const fs::path& host_file, std::string_view relative_path, int fd,
                                                 const util::FileSystem& files) {
  const auto spellings = spellings_of(host_file, relative_path);
  std::optional<std::string> why;
  scan_file(files, host_file, fd, [&](std::string_view text) {
    why = content_reason(spellings, text);
    return why.has_value();
  });
  return why;
}

std::optional<std::string> secret_reason_of(const fs::path& host_file, std::string_view relative_path,
                                            std::string_view content) {
  const auto spellings = spellings_of(host_file, relative_path);
  if (auto r = name_reason_of(spellings)) return r;
  // scan_file's pieces carry kCarry bytes over, so one piece of the whole
  // content sees every marker the chunked scan does.
  if (content.empty()) return std::nullopt;
  return content_reason(spellings, content);
}

std::optional<std::string> secret_reason(const fs::path& host_file, std::string_view relative_path, int fd,
                                         const util::FileSystem& files) {
  if (auto r = secret_name_reason(host_file, relative_path)) return r;
  return secret_content_reason(host_file, relative_path, fd, files);
}

std::optional<std::string> secret_reason_in(std::string_view image_path, std::string_view head) {
  const std::vector<std::vector<std::string>> spellings{components(image_path)};
  if (auto r = name_reason_of(spellings)) return r;
  return content_reason(spellings, head.substr(0, kSecretScanBytes));
}

}  // namespace slimbuild::rootfs
