// Compression settings (names, levels, media types, the identity the cache
// keys on), the BlobSink every compressor writes through, and the factory.
#include <slimbuild/layer/compressor.hpp>

#include <libdeflate.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "layer/deflate_block.hpp"
#include "layer/parallel_gzip.hpp"
#include <slimbuild/util/error.hpp>

#include "layer/zstd_writer.hpp"

namespace slimbuild::layer {

std::string_view algorithm_name(Algorithm a) { return a == Algorithm::Zstd ? "zstd" : "gzip"; }

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  if (name == "gzip") return Algorithm::Gzip;
  if (name == "zstd") return Algorithm::Zstd;
  return std::nullopt;
}

int default_level(Algorithm a) { return a == Algorithm::Zstd ? 3 : 6; }
int min_level(Algorithm a) { return a == Algorithm::Zstd ? 1 : 0; }
int max_level(Algorithm a) { return a == Algorithm::Zstd ? 19 : 9; }

int effective_level(const Compression& c) {
  int level = c.level.value_or(default_level(c.algorithm));
  if (level < min_level(c.algorithm) || level > max_level(c.algorithm))
    throw Error(std::string(algorithm_name(c.algorithm)) + " compression level " + std::to_string(level) +
                    " is out of range",
                "use a level from " + std::to_string(min_level(c.algorithm)) + " to " +
                    std::to_string(max_level(c.algorithm)));
  return level;
}

Compression parse_compression(std::string_view text) {
  std::string_view name = text.substr(0, text.find(':'));
  auto algorithm = parse_algorithm(name);
  if (!algorithm)
    throw Error("unknown compression '" + std::string(text) + "'", "use gzip or zstd, optionally with a level: zstd:19",
                kExitUsage);
  Compression c;
  c.algorithm = *algorithm;
  if (name.size() < text.size()) {
    std::string level(text.substr(name.size() + 1));
    if (level.empty() || level.size() > 2 || level.find_first_not_of("0123456789") != std::string::npos)
      throw Error("compression level '" + level + "' is not a number", "e.g. --compression zstd:19", kExitUsage);
    c.level = std::stoi(level);
  }
  try {
    effective_level(c);
  } catch (const Error& e) {
    throw Error(e.what(), e.hint(), kExitUsage);
  }
  return c;
}

std::string layer_media_type(Algorithm a) {
  return std::string("application/vnd.oci.image.layer.v1.tar+") + std::string(algorithm_name(a));
}

std::string compressor_identity(const Compression& c) {
  std::string level = " level-" + std::to_string(effective_level(c));
  if (c.algorithm == Algorithm::Zstd)
    return std::string("zstd libzstd-") + ZSTD_versionString() + level + " checksum mt";
  return "gzip libdeflate-" LIBDEFLATE_VERSION_STRING + level + " block-" + std::to_string(kGzipBlockSize) +
         " random-probe-" + std::to_string(kRandomProbe) + " v1";
}

unsigned resolve_threads(unsigned requested) {
  unsigned n = requested ? requested : std::thread::hardware_concurrency();
  return std::clamp(n, 1u, kMaxThreads);
}

void BlobSink::put(const void* data, std::size_t size) {
  hash_.update(data, size);
  auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    ssize_t w = ::write(fd_, p, size);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write " + what_ + ": " + std::strerror(errno),
                  errno == ENOSPC ? "free some disk space or choose another --output" : "");
    }
    p += w;
    size -= static_cast<std::size_t>(w);
  }
}

std::unique_ptr<Compressor> make_compressor(const Compression& c, int fd, std::string what, bool parts) {
  int level = effective_level(c);
  unsigned threads = resolve_threads(c.threads);
  if (c.algorithm == Algorithm::Zstd) return std::make_unique<ZstdWriter>(fd, level, threads, std::move(what), parts);
  return std::make_unique<ParallelGzipWriter>(fd, level, threads, std::move(what), parts);
}

}  // namespace slimbuild::layer
