// BlobHash (blob_hash.hpp): the whole blob's SHA-256 and its parts'.
#include <slimbuild/layer/blob_hash.hpp>

#include <algorithm>
#include <utility>

#include <slimbuild/util/error.hpp>

namespace slimbuild::layer {

void BlobHash::update(const void* data, std::size_t size) {
  whole_.update(data, size);
  size_ += size;
  if (!parts_wanted_) return;
  auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(size, kPartBytes - in_part_));
    part_.update(p, n);
    p += n;
    size -= n;
    in_part_ += n;
    if (in_part_ == kPartBytes) {
      parts_.push_back(std::exchange(part_, util::Sha256()).hex());
      in_part_ = 0;
    }
  }
}

void BlobHash::finish() {
  if (!digest_.empty()) throw Error("internal: a blob hash finished twice");
  digest_ = whole_.digest();
  // A short last part, or the one empty part of an empty blob.
  if (parts_wanted_ && (in_part_ > 0 || parts_.empty())) parts_.push_back(part_.hex());
}

}  // namespace slimbuild::layer
