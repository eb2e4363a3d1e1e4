// ZstdWriter: ZSTD_compressStream2 with pinned parameters, output through a
// fixed buffer into the BlobSink.
#include "layer/zstd_writer.hpp"

#include <zstd.h>
#include <zstd_errors.h>

#include <vector>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::layer {

struct ZstdWriter::Stream {
  util::CHandle<ZSTD_CCtx, ZSTD_freeCCtx> cctx{ZSTD_createCCtx()};
  std::vector<unsigned char> out = std::vector<unsigned char>(ZSTD_CStreamOutSize());
};

namespace {
void set(ZSTD_CCtx* c, ZSTD_cParameter p, int value, const char* what) {
  size_t rc = ZSTD_CCtx_setParameter(c, p, value);
  if (ZSTD_isError(rc))
    throw Error(std::string("libzstd refused ") + what + " " + std::to_string(value) + ": " + ZSTD_getErrorName(rc),
                "slimbuild needs a libzstd built with multi-threading (Debian's libzstd1 is)");
}
}  // namespace

ZstdWriter::ZstdWriter(int fd, int level, unsigned threads, std::string what, bool parts)
    : z_(std::make_unique<Stream>()), sink_(fd, std::move(what), parts) {
  if (level < 1 || level > 19)
    throw Error("zstd compression level " + std::to_string(level) + " is out of range", "use a level from 1 to 19");
  if (threads == 0) throw Error("internal: a compressor needs at least one thread");
  if (!z_->cctx) throw Error("libzstd could not allocate a compressor (out of memory?)");
  ZSTD_CCtx* c = z_->cctx.get();
  set(c, ZSTD_c_compressionLevel, level, "compression level");
  set(c, ZSTD_c_checksumFlag, 1, "content checksum");
  set(c, ZSTD_c_nbWorkers, static_cast<int>(threads), "worker count");
}

ZstdWriter::~ZstdWriter() = default;

void ZstdWriter::write(const void* data, std::size_t size) {
  if (finished_) throw Error("internal: write after finish on " + sink_.what());
  drain(data, size, ZSTD_e_continue);
}

void ZstdWriter::finish() {
  if (finished_) return;
  drain(nullptr, 0, ZSTD_e_end);
  sink_.finish();
  finished_ = true;
}

const BlobHash& ZstdWriter::blob() const {
  if (!finished_) throw Error("internal: digest of an unfinished zstd stream");
  return sink_.hash();
}

// Feeds the input until libzstd has taken all of it (continue) or has
// flushed the whole frame (end), writing each output buffer as it fills.
void ZstdWriter::drain(const void* data, std::size_t size, int mode) {
  ZSTD_inBuffer in{data, size, 0};
  for (;;) {
    ZSTD_outBuffer o{z_->out.data(), z_->out.size(), 0};
    size_t left = ZSTD_compressStream2(z_->cctx.get(), &o, &in, static_cast<ZSTD_EndDirective>(mode));
    if (ZSTD_isError(left)) {
      // libzstd reports a worker thread it could not start as an allocation
      // failure; the multi-threaded framing (the same bytes for any thread
      // count) needs at least one, so there is no single-threaded fallback.
      const bool memory = ZSTD_getErrorCode(left) == ZSTD_error_memory_allocation;
      throw Error("libzstd failed while compressing " + sink_.what() + ": " + ZSTD_getErrorName(left),
                  memory ? "zstd layers are compressed on worker threads: check the free memory and the limit on "
                           "processes and threads (ulimit -u, a container's pids limit), or use --compression gzip"
                         : "");
    }
    sink_.put(z_->out.data(), o.pos);
    if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) return;
  }
}

}  // namespace slimbuild::layer
