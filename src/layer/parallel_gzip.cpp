// ParallelGzipWriter: a ring of blocks handed to worker threads and written
// back in order. The caller's thread fills block k, queues it, and before
// reusing a slot writes the oldest finished block; workers only compress.
// A worker's failure is parked in its block and rethrown when that block's
// turn to be written comes, so errors surface in the caller's thread.
#include "layer/parallel_gzip.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "layer/deflate_block.hpp"
#include <slimbuild/util/error.hpp>

namespace slimbuild::layer {

namespace {

struct Block {
  std::vector<unsigned char> in;
  std::size_t len = 0;
  std::vector<unsigned char> out;
  uint32_t crc = 0;
  bool done = false;
  std::exception_ptr error;
};

void compress_block(BlockDeflater& deflater, Block& b) {
  try {
    b.crc = static_cast<uint32_t>(libdeflate_crc32(0, b.in.data(), b.len));
    deflater.deflate(b.in.data(), b.len, b.out);
  } catch (...) {
    b.error = std::current_exception();
  }
}

void put_le32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

}  // namespace

struct ParallelGzipWriter::Impl {
  BlobSink sink;
  int level;
  std::vector<Block> ring;
  uint64_t filled = 0;   // blocks queued so far; ring[filled % size] is being filled
  uint64_t written = 0;  // blocks written to the sink
  uint32_t crc = 0;
  uint64_t isize = 0;
  bool finished = false;
  bool header_written = false;

  std::unique_ptr<BlockDeflater> inline_deflater;  // one thread: no pool
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::deque<Block*> queue;
  bool stop = false;
  std::vector<std::thread> workers;

  Impl(int fd, int lvl, unsigned threads, std::string what) : sink(fd, std::move(what)), level(lvl) {
    ring.resize(threads == 1 ? 1 : threads + 2);
    for (auto& b : ring) b.in.resize(kGzipBlockSize);
    if (threads == 1) {
      inline_deflater = std::make_unique<BlockDeflater>(level);
      return;
    }
    // Each worker owns its deflater, made before the first job.
    std::vector<std::unique_ptr<BlockDeflater>> deflaters;
    for (unsigned i = 0; i < threads; ++i) deflaters.push_back(std::make_unique<BlockDeflater>(level));
    for (auto& d : deflaters) workers.emplace_back([this, d = std::move(d)] { work(*d); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    work_cv.notify_all();
    for (auto& t : workers) t.join();
  }

  void work(BlockDeflater& deflater) {
    for (;;) {
      Block* b;
      {
        std::unique_lock lock(mu);
        work_cv.wait(lock, [&] { return stop || !queue.empty(); });
        if (stop) return;
        b = queue.front();
        queue.pop_front();
      }
      compress_block(deflater, *b);
      {
        std::lock_guard lock(mu);
        b->done = true;
      }
      done_cv.notify_all();
    }
  }

  Block& current() { return ring[filled % ring.size()]; }

  void queue_current() {
    Block& b = current();
    ++filled;
    if (inline_deflater) {
      compress_block(*inline_deflater, b);
      b.done = true;
    } else {
      {
        std::lock_guard lock(mu);
        b.done = false;
        queue.push_back(&b);
      }
      work_cv.notify_one();
    }
    // The next slot must be free before it is filled: write the oldest
    // blocks until it is, and any others that are already done.
    while (written < filled && (filled - written >= ring.size() || is_done(ring[written % ring.size()])))
      write_oldest();
  }

  bool is_done(Block& b) {
    std::lock_guard lock(mu);
    return b.done;
  }

  // The fixed header goes out with the first bytes, so a constructor
  // never fails on a full disk.
  void put_header() {
    if (header_written) return;
    unsigned char xfl = level == 9 ? 2 : level == 1 ? 4 : 0;
    const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, kGzipOsUnknown};
    sink.put(header, sizeof header);
    header_written = true;
  }

  void write_oldest() {
    Block& b = ring[written % ring.size()];
    {
      std::unique_lock lock(mu);
      done_cv.wait(lock, [&] { return b.done; });
    }
    if (b.error) std::rethrow_exception(b.error);
    crc = static_cast<uint32_t>(crc32_combine(crc, b.crc, static_cast<z_off_t>(b.len)));
    isize += b.len;
    put_header();
    sink.put(b.out.data(), b.out.size());
    b.len = 0;
    ++written;
  }
};

ParallelGzipWriter::ParallelGzipWriter(int fd, int level, unsigned threads, std::string what) {
  if (level < 0 || level > 9)
    throw Error("gzip compression level " + std::to_string(level) + " is out of range", "use a level from 0 to 9");
  if (threads == 0) throw Error("internal: a compressor needs at least one thread");
  impl_ = std::make_unique<Impl>(fd, level, threads, std::move(what));
}

ParallelGzipWriter::~ParallelGzipWriter() = default;

void ParallelGzipWriter::write(const void* data, std::size_t size) {
  Impl& s = *impl_;
  if (s.finished) throw Error("internal: write after finish on " + s.sink.what());
  auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    Block& b = s.current();
    std::size_t n = std::min(size, kGzipBlockSize - b.len);
    std::memcpy(b.in.data() + b.len, p, n);
    b.len += n;
    p += n;
    size -= n;
    if (b.len == kGzipBlockSize) s.queue_current();
  }
}

void ParallelGzipWriter::finish() {
  Impl& s = *impl_;
  if (s.finished) return;
  if (s.current().len > 0) s.queue_current();
  while (s.written < s.filled) s.write_oldest();
  s.put_header();
  // A final, empty fixed-Huffman block (BFINAL 1, BTYPE 01, end-of-block),
  // then CRC-32 and ISIZE (the length mod 2^32), little-endian.
  unsigned char tail[10] = {0x03, 0x00};
  put_le32(tail + 2, s.crc);
  put_le32(tail + 6, static_cast<uint32_t>(s.isize));
  s.sink.put(tail, sizeof tail);
  s.finished = true;
}

std::string ParallelGzipWriter::digest() {
  if (!impl_->finished) throw Error("internal: digest of an unfinished gzip stream");
  return impl_->sink.digest();
}

uint64_t ParallelGzipWriter::compressed_size() const { return impl_->sink.size(); }

}  // namespace slimbuild::layer
