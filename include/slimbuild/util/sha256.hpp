// Streaming SHA-256 over OpenSSL's EVP interface, and the "sha256:<hex>"
// digest strings that OCI uses everywhere; MD5 for dpkg's md5sums.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace slimbuild::util {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes the hash; the object must not be updated afterwards.
  std::string hex();
  std::string digest() { return "sha256:" + hex(); }

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_hex(std::string_view data);
inline std::string sha256_digest(std::string_view data) { return "sha256:" + sha256_hex(data); }
// Hashes a file in fixed-size chunks (memory does not grow with file size).
std::string sha256_file_hex(const std::filesystem::path& file);
// Of everything `fd` holds from offset 0 (pread: its offset is untouched);
// nullopt on a read error, or as soon as `stop` is set (another thread may
// set it to abandon the hash).
std::optional<std::string> sha256_fd_hex(int fd, const std::atomic<bool>* stop = nullptr);
// Of the `length` bytes from `offset` (all of it to the end when nullopt);
// nullopt also when the file ends before `length` bytes. Thread-safe (one
// read buffer per thread): several threads may hash parts of one fd.
std::optional<std::string> sha256_fd_range_hex(int fd, uint64_t offset, std::optional<uint64_t> length,
                                               const std::atomic<bool>* stop = nullptr);

// MD5 as dpkg's info/*.md5sums records it (file identity, not security).
std::string md5_hex(std::string_view data);
std::string md5_file_hex(const std::filesystem::path& file);

// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool is_sha256_digest(std::string_view digest);

}  // namespace slimbuild::util
