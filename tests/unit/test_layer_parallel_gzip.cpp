// Parallel gzip and zstd: the same bytes for any thread count, one gzip
// member that zlib, gzip(1), Python and libarchive all read back exactly,
// random data stored rather than searched, and the block joins (BFINAL
// cleared, sync marker after every bit alignment) exercised on many sizes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <random>

#include <slimbuild/layer/compressor.hpp>
#include "layer/deflate_block.hpp"
#include "layer/parallel_gzip.hpp"
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/process.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using slimbuild::layer::Algorithm;
using slimbuild::layer::Compression;

namespace {

// Text, random bytes and zeros, so blocks mix compressible and stored runs.
std::string mixed_input(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s;
  s.reserve(size);
  while (s.size() < size) {
    switch (rng() % 3) {
      case 0:
        for (int i = 0; i < 3000 && s.size() < size; ++i) s += "line " + std::to_string(rng() % 5000) + "\n";
        break;
      case 1:
        for (std::size_t i = rng() % 300000; i > 0 && s.size() < size; --i) s.push_back(static_cast<char>(rng()));
        break;
      default: s.append(std::min<std::size_t>(rng() % 100000, size - s.size()), '\0');
    }
  }
  return s;
}

// Writes `input` through a compressor made from `c`, in uneven pieces.
std::string compress(const std::string& input, Compression c, const fs::path& file) {
  slimbuild::util::Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(fd);
  auto z = slimbuild::layer::make_compressor(c, fd.get(), file.string());
  std::size_t at = 0, step = 1;
  while (at < input.size()) {
    std::size_t n = std::min(step, input.size() - at);
    z->write(input.data() + at, n);
    at += n;
    step = step * 3 + 7;
  }
  z->finish();
  fd.reset();
  std::string bytes = read_bytes(file);
  CHECK(z->blob().digest() == slimbuild::util::sha256_digest(bytes));
  CHECK(z->blob().size() == bytes.size());
  return bytes;
}

// zlib's inflate over the whole buffer: 31 = gzip wrapper, -15 = raw deflate.
// Fails unless the stream ends exactly at the end of the buffer.
std::string zlib_inflate(const std::string& in, int window_bits, std::size_t expected) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, window_bits) == Z_OK);
  std::string out(expected + 16, '\0');
  z.next_in = reinterpret_cast<unsigned char*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<unsigned char*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  std::size_t left = z.avail_in;
  out.resize(z.total_out);
  inflateEnd(&z);
  CHECK(rc == Z_STREAM_END);
  CHECK(left == 0);
  return out;
}

std::string run_out(const std::vector<std::string>& argv) {
  auto r = slimbuild::util::run_process(argv);
  INFO(argv[0] << ": " << r.err);
  REQUIRE(r.ok());
  return r.out;
}

}  // namespace

TEST_CASE("layer: parallel gzip writes the same bytes for 1, 2, 3 and 8 threads", "[compress]") {
  slimbuild::util::TempDir tmp("gzip-test");
  const std::size_t block = slimbuild::layer::kGzipBlockSize;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, block - 1, block, 3 * block + 12345, 6 * block}) {
    std::string input = mixed_input(size, static_cast<unsigned>(size));
    Compression c;
    c.threads = 1;
    std::string one = compress(input, c, tmp.path() / "1.gz");
    for (unsigned t : {2u, 3u, 8u}) {
      c.threads = t;
      INFO("size " << size << ", threads " << t);
      CHECK(compress(input, c, tmp.path() / "n.gz") == one);
    }
    CHECK(gunzip(tmp.path() / "1.gz") == input);
  }
}

TEST_CASE("layer: zstd writes the same bytes for 1, 2 and 5 threads", "[compress]") {
  slimbuild::util::TempDir tmp("zstd-test");
  std::string input = mixed_input(20 << 20, 7);  // several of libzstd's jobs
  Compression c;
  c.algorithm = Algorithm::Zstd;
  c.threads = 1;
  std::string one = compress(input, c, tmp.path() / "1.zst");
  for (unsigned t : {2u, 5u}) {
    c.threads = t;
    INFO("threads " << t);
    CHECK(compress(input, c, tmp.path() / "n.zst") == one);
  }
  CHECK(run_out({"zstd", "-dc", (tmp.path() / "1.zst").string()}) == input);
  CHECK(one.substr(0, 4) == std::string("\x28\xb5\x2f\xfd", 4));  // zstd frame magic
}

TEST_CASE("layer: every reader gets back exactly the input of a multi-block gzip stream", "[compress]") {
  slimbuild::util::TempDir tmp("gzip-test");
  std::string input = mixed_input(5 * slimbuild::layer::kGzipBlockSize + 777, 42);
  Compression c;
  c.threads = 3;
  fs::path gz = tmp.path() / "x.gz";
  std::string bytes = compress(input, c, gz);
  std::string want = slimbuild::util::sha256_hex(input);

  CHECK(zlib_inflate(bytes, 31, input.size()) == input);  // zlib, in process
  CHECK(slimbuild::util::sha256_hex(run_out({"gzip", "-dc", gz.string()})) == want);
  CHECK(slimbuild::util::sha256_hex(run_out({"bsdcat", gz.string()})) == want);  // libarchive
  // Python's gzip, and a check that this is one member: zlib's decompressobj
  // stops at the end of the first member and leaves the rest unused.
  std::string py = run_out({"python3", "-c",
                            "import gzip,hashlib,sys,zlib\n"
                            "b=open(sys.argv[1],'rb').read()\n"
                            "d=zlib.decompressobj(31); out=d.decompress(b)\n"
                            "print(hashlib.sha256(gzip.decompress(b)).hexdigest(), len(d.unused_data), d.eof,"
                            " hashlib.sha256(out).hexdigest())",
                            gz.string()});
  CHECK(py == want + " 0 True " + want + "\n");
  // The header: deflate, no flags, MTIME 0, XFL 0 for level 6, OS unknown.
  CHECK(bytes.substr(0, 10) == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10));
}

TEST_CASE("layer: random data is stored, text is compressed, at every level", "[compress]") {
  slimbuild::util::TempDir tmp("gzip-test");
  std::mt19937 rng(1);
  std::string random(3 << 20, '\0');
  for (auto& ch : random) ch = static_cast<char>(rng());
  std::string text;
  while (text.size() < (3u << 20)) text += "the quick brown fox " + std::to_string(text.size() % 977) + "\n";
  for (int level : {0, 1, 6, 9}) {
    Compression c;
    c.level = level;
    INFO("level " << level);
    std::string r = compress(random, c, tmp.path() / "r.gz");
    CHECK(r.size() < random.size() + random.size() / 1000);  // stored: 5 bytes per 64 KiB
    CHECK(gunzip(tmp.path() / "r.gz") == random);
    std::string t = compress(text, c, tmp.path() / "t.gz");
    CHECK(gunzip(tmp.path() / "t.gz") == text);
    if (level == 0) CHECK(t.size() > text.size());
    else CHECK(t.size() < text.size() / 5);
  }
  CHECK(slimbuild::layer::looks_random(reinterpret_cast<const unsigned char*>(random.data()), 65536));
  CHECK_FALSE(slimbuild::layer::looks_random(reinterpret_cast<const unsigned char*>(text.data()), 65536));
}

TEST_CASE("layer: block segments join at every bit alignment", "[compress]") {
  // Short pieces of varied text end libdeflate's stream at all 8 bit
  // offsets; each segment followed by the next must still inflate.
  slimbuild::layer::BlockDeflater d(6);
  std::vector<unsigned char> seg, stream;
  std::string all;
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    std::string piece;
    for (std::size_t k = rng() % 400 + 1; k > 0; --k) piece.push_back(static_cast<char>('a' + rng() % 7));
    d.deflate(reinterpret_cast<const unsigned char*>(piece.data()), piece.size(), seg);
    stream.insert(stream.end(), seg.begin(), seg.end());
    all += piece;
  }
  stream.push_back(0x03);  // final empty block
  stream.push_back(0x00);
  std::string out = zlib_inflate(std::string(stream.begin(), stream.end()), -15, all.size());
  CHECK(out == all);
}

TEST_CASE("layer: compression settings are checked and named", "[compress]") {
  Compression c;
  CHECK(slimbuild::layer::compressor_identity(c).starts_with("gzip libdeflate-1."));
  c.algorithm = Algorithm::Zstd;
  CHECK(slimbuild::layer::compressor_identity(c).starts_with("zstd libzstd-1."));
  CHECK(slimbuild::layer::layer_media_type(Algorithm::Zstd) == "application/vnd.oci.image.layer.v1.tar+zstd");
  c.level = 20;
  CHECK_THROWS_WITH(slimbuild::layer::effective_level(c), Catch::Contains("zstd compression level 20 is out of range"));
  c.algorithm = Algorithm::Gzip;
  c.level = -1;
  CHECK_THROWS_WITH(slimbuild::layer::effective_level(c), Catch::Contains("gzip compression level -1 is out of range"));
  CHECK(slimbuild::layer::parse_algorithm("zstd") == Algorithm::Zstd);
  CHECK_FALSE(slimbuild::layer::parse_algorithm("xz"));
}
