// GzipWriter: zlib deflate with a pinned gzip header, output hashed and
// written to a file descriptor through one fixed buffer.
#include <slimbuild/layer/gzip_writer.hpp>

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <slimbuild/util/error.hpp>

namespace slimbuild::layer {

namespace {
constexpr std::size_t kOutChunk = 128 * 1024;
// zlib's defaults; spelled out because they shape the compressed bytes.
constexpr int kWindowBitsGzip = 15 + 16;
constexpr int kMemLevel = 8;
}  // namespace

struct GzipWriter::Stream {
  z_stream zs{};
  gz_header header{};
  std::vector<unsigned char> out = std::vector<unsigned char>(kOutChunk);
  bool initialised = false;
  ~Stream() {
    if (initialised) deflateEnd(&zs);
  }
};

GzipWriter::GzipWriter(int fd, int level, std::string what)
    : z_(std::make_unique<Stream>()), fd_(fd), what_(std::move(what)) {
  if (level < 0 || level > 9)
    throw Error("compression level " + std::to_string(level) + " is out of range", "use a zlib level from 0 to 9");
  if (deflateInit2(&z_->zs, level, Z_DEFLATED, kWindowBitsGzip, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error("zlib could not initialise the compressor for " + what_);
  z_->initialised = true;
  // gz_header is zero-initialised: text 0, time 0, no extra, name, comment
  // or header CRC. Only the OS byte differs from zlib's default.
  z_->header.os = kGzipOsUnknown;
  if (deflateSetHeader(&z_->zs, &z_->header) != Z_OK)
    throw Error("zlib refused the gzip header for " + what_);
}

GzipWriter::~GzipWriter() = default;

void GzipWriter::write(const void* data, std::size_t size) {
  if (finished_) throw Error("internal: write after finish on " + what_);
  // avail_in is 32-bit: feed huge buffers in slices.
  auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    auto n = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    z_->zs.next_in = const_cast<unsigned char*>(p);
    z_->zs.avail_in = n;
    deflate_chunk(Z_NO_FLUSH);
    p += n;
    size -= n;
  }
}

void GzipWriter::finish() {
  if (finished_) return;
  z_->zs.next_in = nullptr;
  z_->zs.avail_in = 0;
  deflate_chunk(Z_FINISH);
  finished_ = true;
}

std::string GzipWriter::digest() {
  if (!finished_) throw Error("internal: digest of an unfinished gzip stream");
  return hash_.digest();
}

// Runs deflate until it has consumed all input (Z_NO_FLUSH) or written the
// trailer (Z_FINISH), draining the output buffer each time it fills.
void GzipWriter::deflate_chunk(int flush) {
  for (;;) {
    z_->zs.next_out = z_->out.data();
    z_->zs.avail_out = static_cast<uInt>(z_->out.size());
    int rc = deflate(&z_->zs, flush);
    if (rc == Z_STREAM_ERROR) throw Error("zlib failed while compressing " + what_);
    write_out(z_->out.data(), z_->out.size() - z_->zs.avail_out);
    if (flush == Z_FINISH) {
      if (rc == Z_STREAM_END) return;
    } else if (z_->zs.avail_in == 0 && z_->zs.avail_out != 0) {
      return;
    }
  }
}

void GzipWriter::write_out(const unsigned char* p, std::size_t n) {
  hash_.update(p, n);
  out_size_ += n;
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write " + what_ + ": " + std::strerror(errno),
                  errno == ENOSPC ? "free some disk space or choose another --output" : "");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace slimbuild::layer
