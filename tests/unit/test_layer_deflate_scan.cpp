// scan_deflate against zlib's inflate as the oracle: on libdeflate's output
// at every level, on zlib's own stored, fixed-Huffman and dynamic blocks,
// and on thousands of mutated and truncated streams. Both must accept the
// same streams, and where they do, agree on where the final block starts,
// where the stream ends and how many bytes it inflates to.
#include <catch2/catch.hpp>

#include <libdeflate.h>
#include <zlib.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "layer/deflate_scan.hpp"
#include "support/inflate_oracle.hpp"

using slimbuild::layer::DeflateExtent;
using slimbuild::layer::scan_deflate;

namespace {

using Bytes = std::vector<unsigned char>;

std::optional<DeflateExtent> inflate_extent(const Bytes& in) {
  return slimbuild::testing::inflate_extent(in.data(), in.size());
}

Bytes libdeflate_raw(const Bytes& in, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  REQUIRE(c);
  Bytes out(libdeflate_deflate_compress_bound(c, in.size()));
  out.resize(libdeflate_deflate_compress(c, in.data(), in.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  REQUIRE(!out.empty());
  return out;
}

Bytes zlib_raw(const Bytes& in, int level, int strategy) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, level, Z_DEFLATED, -15, 8, strategy) == Z_OK);
  Bytes out(deflateBound(&z, in.size()) + 16);
  z.next_in = const_cast<unsigned char*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Bytes sample(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes b;
  b.reserve(size);
  while (b.size() < size) {
    switch (rng() % 4) {
      case 0:  // text with repeats: dynamic blocks, long and short matches
        for (int i = 0; i < 200 && b.size() < size; ++i)
          for (char c : "entry " + std::to_string(rng() % 300) + " of the table\n") b.push_back(static_cast<unsigned char>(c));
        break;
      case 1:  // noise: libdeflate stores it or codes it in literals
        for (std::size_t i = rng() % 40000; i > 0 && b.size() < size; --i) b.push_back(static_cast<unsigned char>(rng()));
        break;
      case 2:  // a run: the longest matches, distance 1
        b.insert(b.end(), std::min<std::size_t>(rng() % 5000, size - b.size()), static_cast<unsigned char>(rng()));
        break;
      default:  // skewed bytes: codes longer than the 10-bit table
        for (std::size_t i = rng() % 20000; i > 0 && b.size() < size; --i) {
          unsigned r = rng();
          b.push_back(static_cast<unsigned char>(__builtin_ctz(r | 0x8000u) * 13 + (r >> 28)));
        }
    }
  }
  b.resize(size);  // a line of text may overrun
  return b;
}

void check_agrees(const Bytes& stream) {
  auto ours = scan_deflate(stream.data(), stream.size());
  auto zlib = inflate_extent(stream);
  REQUIRE(ours.has_value() == zlib.has_value());
  if (!ours) return;
  CHECK(ours->final_block == zlib->final_block);
  CHECK(ours->end == zlib->end);
  CHECK(ours->output == zlib->output);
}

}  // namespace

TEST_CASE("layer: scan_deflate finds what inflate finds in libdeflate's output at every level", "[compress]") {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{70000}, std::size_t{1} << 20})
    for (int level = 1; level <= 12; ++level) {
      Bytes in = sample(size, static_cast<unsigned>(size + level));
      Bytes raw = libdeflate_raw(in, level);
      INFO("size " << size << " level " << level);
      auto e = scan_deflate(raw.data(), raw.size());
      REQUIRE(e);
      CHECK(e->output == size);
      CHECK((e->end + 7) / 8 == raw.size());
      check_agrees(raw);
    }
}

TEST_CASE("layer: scan_deflate reads zlib's stored, fixed and dynamic blocks", "[compress]") {
  Bytes in = sample(300000, 7);
  for (auto [level, strategy] : {std::pair{0, Z_DEFAULT_STRATEGY}, std::pair{6, Z_FIXED}, std::pair{1, Z_HUFFMAN_ONLY},
                                 std::pair{6, Z_RLE}, std::pair{9, Z_DEFAULT_STRATEGY}}) {
    INFO("level " << level << " strategy " << strategy);
    Bytes raw = zlib_raw(in, level, strategy);
    auto e = scan_deflate(raw.data(), raw.size());
    REQUIRE(e);
    CHECK(e->output == in.size());
    check_agrees(raw);
  }
}

TEST_CASE("layer: scan_deflate and inflate accept the same mutated and truncated streams", "[compress]") {
  std::mt19937 rng(20261202);  // fixed seed: a failure is reproducible
  Bytes base = libdeflate_raw(sample(20000, 3), 6);
  Bytes fixed = zlib_raw(sample(3000, 4), 6, Z_FIXED);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes s = i % 2 ? base : fixed;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) s[rng() % s.size()] ^= static_cast<unsigned char>(1u << (rng() % 8));
    if (i % 7 == 0) s.resize(rng() % s.size());
    INFO("mutation " << i);
    check_agrees(s);
    (scan_deflate(s.data(), s.size()) ? accepted : refused)++;
  }
  CHECK(accepted > 0);  // both outcomes were exercised
  CHECK(refused > 0);
}

TEST_CASE("layer: scan_deflate refuses what is not deflate", "[compress]") {
  const Bytes reserved = {0x07};                             // BTYPE 11
  const Bytes bad_stored = {0x01, 0x05, 0x00, 0x00, 0x00};   // LEN 5, NLEN not ~5
  const Bytes short_stored = {0x01, 0x05, 0x00, 0xfa, 0xff, 'a'};  // LEN 5, one byte follows
  const Bytes nothing;
  for (const Bytes* b : {&reserved, &bad_stored, &short_stored, &nothing}) CHECK_FALSE(scan_deflate(b->data(), b->size()));
  const Bytes empty_final = {0x03, 0x00};  // a final fixed block holding only end-of-block
  auto e = scan_deflate(empty_final.data(), empty_final.size());
  REQUIRE(e);
  CHECK(e->output == 0);
  CHECK(e->final_block == 0);
  CHECK(e->end == 10);
}
