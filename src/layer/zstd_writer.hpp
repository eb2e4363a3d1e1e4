// zstd layers (application/vnd.oci.image.layer.v1.tar+zstd) through
// libzstd's streaming API, always in its multi-threaded mode: with
// nbWorkers >= 1 libzstd cuts the input into jobs whose size depends only on
// the parameters, so 1 worker and 32 workers write the same frame (and
// nbWorkers = 0, the single-threaded mode, would not: it is never used).
// One frame, with the content checksum, no dictionary, no content size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <slimbuild/layer/compressor.hpp>

namespace slimbuild::layer {

class ZstdWriter final : public Compressor {
 public:
  // `fd` is borrowed; `level` 1..19; `threads` >= 1; `parts`: take the
  // blob's part hashes too.
  ZstdWriter(int fd, int level, unsigned threads, std::string what, bool parts = false);
  ~ZstdWriter() override;

  void write(const void* data, std::size_t size) override;
  void finish() override;
  const BlobHash& blob() const override;

 private:
  void drain(const void* data, std::size_t size, int mode);

  struct Stream;
  std::unique_ptr<Stream> z_;
  BlobSink sink_;
  bool finished_ = false;
};

}  // namespace slimbuild::layer
