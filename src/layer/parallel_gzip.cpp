// ParallelGzipWriter: a ring of blocks handed to worker threads and written
// back in order by a writer thread. The caller's thread fills block k,
// queues it, and before reusing a slot waits until the writer has written
// it; workers only compress. A worker's failure is parked in its block, the
// writer parks it (or its own: a full disk) and stops, and the caller's
// thread rethrows it at its next block or at finish().
#include "layer/parallel_gzip.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <system_error>
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
  // Under mu when there are threads: blocks queued so far (ring[filled %
  // size] is being filled) and blocks written to the sink.
  uint64_t filled = 0;
  uint64_t written = 0;
  // The writer's alone until it is joined.
  uint32_t crc = 0;
  uint64_t isize = 0;
  bool header_written = false;
  bool finished = false;

  std::unique_ptr<BlockDeflater> inline_deflater;  // one thread: no pool, no writer
  std::mutex mu;
  std::condition_variable work_cv, done_cv, free_cv;
  std::deque<Block*> queue;
  bool stop = false;     // tear down: everyone leaves
  bool closing = false;  // finish: the writer leaves once every queued block is written
  std::exception_ptr write_error;  // parked by the writer, rethrown to the caller
  std::vector<std::thread> workers;
  std::thread writer;

  Impl(int fd, int lvl, unsigned threads, std::string what, bool parts) : sink(fd, std::move(what), parts), level(lvl) {
    // Besides the one being filled: one per worker, one being written, one
    // compressed and waiting for it, so neither side waits on the other.
    ring.resize(threads == 1 ? 1 : threads + 3);
    for (auto& b : ring) b.in.resize(kGzipBlockSize);
    if (threads == 1) {
      inline_deflater = std::make_unique<BlockDeflater>(level);
      return;
    }
    // Each worker owns its deflater, made before the first job.
    std::vector<std::unique_ptr<BlockDeflater>> deflaters;
    for (unsigned i = 0; i < threads; ++i) deflaters.push_back(std::make_unique<BlockDeflater>(level));
    try {
      for (auto& d : deflaters) workers.emplace_back([this, d = std::move(d)] { work(*d); });
      writer = std::thread([this] { write_loop(); });
    } catch (const std::system_error&) {
      // No thread to be had (a process or cgroup limit): all of it on the
      // caller's thread, the same bytes.
      shut_down();
      inline_deflater = std::make_unique<BlockDeflater>(level);
    }
  }

  ~Impl() { shut_down(); }

  void shut_down() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    work_cv.notify_all();
    done_cv.notify_all();
    free_cv.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
    if (writer.joinable()) writer.join();
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

  // The writer thread: the compressed blocks, in input order, into the sink
  // (which hashes them into the digest), so the caller's thread only reads,
  // hashes and cuts the tar stream.
  void write_loop() {
    for (;;) {
      Block* b = nullptr;
      {
        std::unique_lock lock(mu);
        done_cv.wait(lock, [&] {
          return stop || (written < filled && ring[written % ring.size()].done) || (closing && written == filled);
        });
        if (stop || written == filled) return;
        b = &ring[written % ring.size()];
      }
      try {
        write_block(*b);
      } catch (...) {
        std::lock_guard lock(mu);
        write_error = std::current_exception();
        free_cv.notify_all();
        return;
      }
      {
        std::lock_guard lock(mu);
        ++written;
      }
      free_cv.notify_all();
    }
  }

  Block& current() { return ring[filled % ring.size()]; }

  void queue_current() {
    Block& b = current();
    if (inline_deflater) {
      compress_block(*inline_deflater, b);
      ++filled;
      write_block(b);
      ++written;
      return;
    }
    {
      std::lock_guard lock(mu);
      b.done = false;
      queue.push_back(&b);
      ++filled;
    }
    work_cv.notify_one();
    done_cv.notify_all();  // the writer may be waiting for this block to exist
    // The next slot must be free (written) before it is filled.
    std::unique_lock lock(mu);
    free_cv.wait(lock, [&] { return write_error || filled - written < ring.size(); });
    if (write_error) std::rethrow_exception(write_error);
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

  void write_block(Block& b) {
    if (b.error) std::rethrow_exception(b.error);
    crc = static_cast<uint32_t>(crc32_combine(crc, b.crc, static_cast<z_off_t>(b.len)));
    isize += b.len;
    put_header();
    sink.put(b.out.data(), b.out.size());
    b.len = 0;
  }

  // Every queued block written; the writer gone. Rethrows what it parked.
  void drain() {
    if (inline_deflater) return;
    {
      std::lock_guard lock(mu);
      closing = true;
    }
    done_cv.notify_all();
    if (writer.joinable()) writer.join();
    if (write_error) std::rethrow_exception(write_error);
  }
};

ParallelGzipWriter::ParallelGzipWriter(int fd, int level, unsigned threads, std::string what, bool parts) {
  if (level < 0 || level > 9)
    throw Error("gzip compression level " + std::to_string(level) + " is out of range", "use a level from 0 to 9");
  if (threads == 0) throw Error("internal: a compressor needs at least one thread");
  impl_ = std::make_unique<Impl>(fd, level, threads, std::move(what), parts);
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
  s.drain();
  s.put_header();
  // A final, empty fixed-Huffman block (BFINAL 1, BTYPE 01, end-of-block),
  // then CRC-32 and ISIZE (the length mod 2^32), little-endian.
  unsigned char tail[10] = {0x03, 0x00};
  put_le32(tail + 2, s.crc);
  put_le32(tail + 6, static_cast<uint32_t>(s.isize));
  s.sink.put(tail, sizeof tail);
  s.sink.finish();
  s.finished = true;
}

const BlobHash& ParallelGzipWriter::blob() const {
  if (!impl_->finished) throw Error("internal: digest of an unfinished gzip stream");
  return impl_->sink.hash();
}

}  // namespace slimbuild::layer
