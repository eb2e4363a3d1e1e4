// SHA-256 (and MD5, for dpkg's md5sums) through EVP: one context per object, freed by RAII.
#include <slimbuild/util/sha256.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include <openssl/evp.h>

#include <array>
#include <fstream>

#include <slimbuild/util/error.hpp>

namespace slimbuild::util {

struct Sha256::Ctx {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), EVP_sha256(), nullptr) != 1)
    throw Error("OpenSSL could not initialise SHA-256");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size != 0) EVP_DigestUpdate(ctx_->md.get(), data, size);
}

namespace {

std::string final_hex(EVP_MD_CTX* md) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(md, out.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    s.push_back(kHex[out[i] >> 4]);
    s.push_back(kHex[out[i] & 0xf]);
  }
  return s;
}

// Streams `file` through `update` in fixed-size chunks.
template <typename Update>
void read_chunks(const std::filesystem::path& file, Update update) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file.string());
  std::array<char, 1 << 16> buf;
  while (in) {
    in.read(buf.data(), buf.size());
    update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error("error reading " + file.string());
}

}  // namespace

std::string Sha256::hex() { return final_hex(ctx_->md.get()); }

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

std::string sha256_file_hex(const std::filesystem::path& file) {
  Sha256 h;
  read_chunks(file, [&](const char* data, std::size_t n) { h.update(data, n); });
  return h.hex();
}

std::optional<std::string> sha256_fd_range_hex(int fd, uint64_t offset, std::optional<uint64_t> length,
                                               const std::atomic<bool>* stop) {
  Sha256 h;
  thread_local std::vector<char> buf(1 << 20);
  for (uint64_t done = 0;;) {
    if (stop && stop->load(std::memory_order_relaxed)) return std::nullopt;
    std::size_t want = buf.size();
    if (length) {
      if (done == *length) return h.hex();
      want = static_cast<std::size_t>(std::min<uint64_t>(want, *length - done));
    }
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return length ? std::nullopt : std::optional<std::string>(h.hex());  // short of `length`: no hash
    h.update(buf.data(), static_cast<std::size_t>(n));
    done += static_cast<uint64_t>(n);
  }
}

std::optional<std::string> sha256_fd_hex(int fd, const std::atomic<bool>* stop) {
  return sha256_fd_range_hex(fd, 0, std::nullopt, stop);
}

// dpkg's md5sums format needs MD5; it identifies files, it is not a security check.
namespace {
std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md5_context() {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  if (!md || EVP_DigestInit_ex(md.get(), EVP_md5(), nullptr) != 1) throw Error("OpenSSL could not initialise MD5");
  return md;
}
}  // namespace

std::string md5_hex(std::string_view data) {
  auto md = md5_context();
  EVP_DigestUpdate(md.get(), data.data(), data.size());
  return final_hex(md.get());
}

std::string md5_file_hex(const std::filesystem::path& file) {
  auto md = md5_context();
  read_chunks(file, [&](const char* data, std::size_t n) { EVP_DigestUpdate(md.get(), data, n); });
  return final_hex(md.get());
}

bool is_sha256_digest(std::string_view d) {
  if (d.size() != 7 + 64 || d.substr(0, 7) != "sha256:") return false;
  for (char c : d.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace slimbuild::util
