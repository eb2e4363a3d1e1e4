// The SHA-256 of a blob and, when asked, of each kPartBytes part of it,
// taken in one pass as the bytes go by. The layer cache records the parts
// (cache_entry.hpp) so that a hit checks its blob on several cores; the
// blob's writer (BlobSink) takes them while it writes, so storing an entry
// reads nothing back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <slimbuild/util/sha256.hpp>

namespace slimbuild::layer {

inline constexpr uint64_t kPartBytes = 16ull << 20;

// How many parts a blob of `size` bytes has: an empty blob has one, empty.
inline uint64_t part_count(uint64_t size) { return size == 0 ? 1 : (size + kPartBytes - 1) / kPartBytes; }

class BlobHash {
 public:
  explicit BlobHash(bool parts) : parts_wanted_(parts) {}

  void update(const void* data, std::size_t size);
  // Ends the hashes; call once, after the last update.
  void finish();

  // After finish(): "sha256:<hex>" of every byte, their count, and the hex
  // SHA-256 of each part in order (the last may be short), or nothing when
  // the parts were not asked for.
  const std::string& digest() const { return digest_; }
  uint64_t size() const { return size_; }
  const std::vector<std::string>& parts() const { return parts_; }

 private:
  bool parts_wanted_;
  util::Sha256 whole_, part_;
  uint64_t size_ = 0, in_part_ = 0;
  std::string digest_;
  std::vector<std::string> parts_;
};

}  // namespace slimbuild::layer
