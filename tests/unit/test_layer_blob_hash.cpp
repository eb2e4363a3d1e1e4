// BlobHash: the whole digest and the part hashes from one pass, whatever the
// chunks it is fed, against SHA-256 of the same byte ranges taken directly.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include <slimbuild/layer/blob_hash.hpp>
#include <slimbuild/util/sha256.hpp>

using slimbuild::layer::BlobHash;
using slimbuild::layer::kPartBytes;
using slimbuild::util::sha256_hex;

namespace {

std::string noise(std::size_t n) {
  std::string s(n, '\0');
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (char& c : s) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

// Fed in chunks of `chunk` bytes (the last shorter).
BlobHash hash_in_chunks(std::string_view bytes, std::size_t chunk, bool parts) {
  BlobHash h(parts);
  for (std::size_t at = 0; at < bytes.size(); at += chunk) h.update(bytes.data() + at, std::min(chunk, bytes.size() - at));
  h.finish();
  return h;
}

}  // namespace

TEST_CASE("blob hash: parts are the SHA-256 of each 16 MiB range, for any chunking", "[layer]") {
  const std::string all = noise(2 * kPartBytes + 5);
  const std::size_t sizes[] = {0, 1, kPartBytes - 1, kPartBytes, kPartBytes + 1, 2 * kPartBytes + 5};
  const std::size_t chunks[] = {7919, 1 << 20, 3 * kPartBytes};  // prime, aligned, one call over several parts
  for (std::size_t size : sizes) {
    std::string_view bytes = std::string_view(all).substr(0, size);
    std::vector<std::string> want;
    for (std::size_t at = 0; at < size || want.empty(); at += kPartBytes)
      want.push_back(sha256_hex(bytes.substr(at, kPartBytes)));
    CHECK(want.size() == slimbuild::layer::part_count(size));
    for (std::size_t chunk : chunks) {
      INFO("size " << size << ", chunks of " << chunk);
      BlobHash h = hash_in_chunks(bytes, chunk, /*parts=*/true);
      CHECK(h.digest() == "sha256:" + sha256_hex(bytes));
      CHECK(h.size() == size);
      CHECK(h.parts() == want);
    }
  }
}

TEST_CASE("blob hash: without parts only the digest is taken", "[layer]") {
  const std::string bytes = noise(kPartBytes + 3);
  BlobHash h = hash_in_chunks(bytes, 65536, /*parts=*/false);
  CHECK(h.digest() == "sha256:" + sha256_hex(bytes));
  CHECK(h.size() == bytes.size());
  CHECK(h.parts().empty());
}
