// The streaming guarantees: a fixed gzip header, memory that does not grow
// with file size, and sources that change while being read caught rather
// than written as a silently different layer.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <slimbuild/util/file_identity.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "layer/parallel_gzip.hpp"
#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using slimbuild::layer::LayerOptions;
using slimbuild::layer::write_layer;

namespace {

// Peak resident set size in KiB (VmHWM), after resetting it where the kernel
// allows (/proc/self/clear_refs "5"), so earlier tests do not mask growth.
long peak_rss_kib(bool reset) {
  if (reset) std::ofstream("/proc/self/clear_refs") << "5";
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

long current_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST_CASE("layer: gzip header is fixed: no name, mtime 0, OS unknown") {
  slimbuild::util::TempDir tmp("layer-test");
  for (int level : {1, 6, 9}) {
    Rootfs r;
    r.add(generated("/etc/hostname", "slim\n"));
    LayerOptions opt;
    opt.compression.level = level;
    opt.mtime = 1700000000;  // must not reach the gzip header
    fs::path out = tmp.path() / ("l" + std::to_string(level) + ".tgz");
    write_layer(r, out, opt);
    std::string b = read_bytes(out);
    REQUIRE(b.size() > 18);
    // ID1 ID2 CM=deflate FLG=0 | MTIME=0 | XFL | OS=255
    CHECK(b.substr(0, 8) == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
    unsigned char xfl = static_cast<unsigned char>(b[8]);
    CHECK(xfl == (level == 9 ? 2 : level == 1 ? 4 : 0));  // RFC 1952: 2 = best, 4 = fastest
    CHECK(static_cast<unsigned char>(b[9]) == 255);
    CHECK(gunzip(out).size() == 3 * 512 + 1024);  // etc/, header, data, end
  }
}

TEST_CASE("layer: ParallelGzipWriter output is what gzip -d reads back") {
  slimbuild::util::TempDir tmp("layer-test");
  fs::path out = tmp.path() / "x.gz";
  slimbuild::util::Fd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644));
  REQUIRE(fd);
  slimbuild::layer::ParallelGzipWriter gz(fd.get(), 6, 2, out.string());
  std::string input;
  for (int i = 0; i < 20000; ++i) input += std::to_string(i * 7919) + "\n";
  gz.write(input.data(), input.size() / 2);
  gz.write(input.data() + input.size() / 2, input.size() - input.size() / 2);
  gz.finish();
  fd.reset();
  CHECK(gunzip(out) == input);
  CHECK(gz.blob().digest() == "sha256:" + sha256sum(out));
  CHECK(gz.blob().size() == fs::file_size(out));
}

TEST_CASE("layer: memory stays flat while streaming a large file") {
  slimbuild::util::TempDir tmp("layer-test");
  constexpr uint64_t kSize = 256ull << 20;
  fs::path big = tmp.path() / "big.bin";
  { std::ofstream(big, std::ios::binary) << "head"; }
  fs::resize_file(big, kSize);  // sparse: reads as zeros, costs no disk
  Rootfs r;
  r.add(file_from("/data/big.bin", big));
  LayerOptions opt;
  opt.compression.level = 1;

  long before = peak_rss_kib(true);
  long baseline = current_rss_kib();
  auto res = write_layer(r, tmp.path() / "l.tgz", opt);
  long peak = peak_rss_kib(false);
  INFO("baseline " << baseline << " KiB, peak before " << before << " KiB, peak after " << peak << " KiB");
  REQUIRE(peak > 0);
  CHECK(peak - baseline < 64 * 1024);
  CHECK(res.tar_size == 512 * 2 + kSize + 1024);  // two headers, the data, end blocks
  CHECK(res.size < kSize / 100);
  CHECK(res.file_sha256.at("/data/big.bin") == sha256sum(big));
}

TEST_CASE("layer: a source truncated after it was selected is an error") {
  slimbuild::util::TempDir tmp("layer-test");
  write_text(tmp.path() / "lib.so", std::string(100000, 'a'));
  Rootfs r;
  r.add(file_from("/usr/lib/lib.so", tmp.path() / "lib.so"));
  fs::resize_file(tmp.path() / "lib.so", 10);
  fs::path out = tmp.path() / "l.tgz";
  CHECK_THROWS_WITH(write_layer(r, out, {}), Catch::Contains(" changed while it was being read") &&
                                                 Catch::Contains("lib.so (for /usr/lib/lib.so)"));
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("layer: a source whose size lies while it is read is an error") {
  // Kernel pseudo-files stand in for a file that changes under us: their
  // stat() size does not match what read() returns.
  slimbuild::util::TempDir tmp("layer-test");
  fs::path out = tmp.path() / "l.tgz";
  SECTION("more bytes than stat said (grew)") {
    Entry e = generated("/proc-status", "");
    e.source = "/proc/self/status";  // st_size 0, content non-empty
    e.size = 0;
    Rootfs r;
    r.add(e);
    CHECK_THROWS_WITH(write_layer(r, out, {}), Catch::Contains("changed while it was being read") &&
                                                   Catch::Contains("grew past 0 bytes"));
  }
  SECTION("fewer bytes than stat said (shrank)") {
    fs::path sysfile = "/sys/kernel/mm/transparent_hugepage/enabled";  // st_size 4096, ~50 bytes of text
    if (!fs::exists(sysfile) || fs::file_size(sysfile) != 4096) {
      WARN("no sysfs pseudo-file here; the shrink case is covered by the truncation test");
      return;
    }
    Entry e = generated("/thp", "");
    e.source = sysfile;
    e.size = 4096;
    Rootfs r;
    r.add(e);
    CHECK_THROWS_WITH(write_layer(r, out, {}), Catch::Contains("changed while it was being read") &&
                                                   Catch::Contains("bytes early"));
  }
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("layer: a file read ends exactly at its size, at every read-buffer boundary, or is an error") {
  // The reader asks for one byte more than is left, so a small file's end
  // shows in its only read; a byte more than selected is still caught.
  slimbuild::util::TempDir tmp("layer-test");
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{256 * 1024 - 1},
                           std::size_t{256 * 1024}, std::size_t{256 * 1024 + 1}, std::size_t{512 * 1024}}) {
    INFO("size " << size);
    std::string bytes(size, 'z');
    for (std::size_t i = 0; i < size; i += 4093) bytes[i] = static_cast<char>('a' + i % 26);
    write_text(tmp.path() / "f.bin", bytes);
    Entry e = file_from("/f.bin", tmp.path() / "f.bin");
    struct stat st {};
    REQUIRE(::stat((tmp.path() / "f.bin").c_str(), &st) == 0);
    e.identity = slimbuild::util::FileIdentity::of(st);  // as the rootfs walk records it
    Rootfs r;
    r.add(e);
    fs::path out = tmp.path() / ("ok-" + std::to_string(size) + ".tgz");
    auto res = write_layer(r, out, {});
    CHECK(res.file_sha256.at("/f.bin") == slimbuild::util::sha256_hex(bytes));
    CHECK(res.tar_size == 512 + (size + 511) / 512 * 512 + 1024);
    // A byte appended after selection is refused, with or without the identity.
    write_text(tmp.path() / "f.bin", bytes + "!");
    for (bool with_identity : {true, false}) {
      Entry stale = e;
      if (!with_identity) stale.identity.reset();
      Rootfs grown;
      grown.add(stale);
      CHECK_THROWS_WITH(write_layer(grown, tmp.path() / "grown.tgz", {}), Catch::Contains("changed"));
      CHECK_FALSE(fs::exists(tmp.path() / "grown.tgz"));
    }
  }
}

TEST_CASE("layer: a full disk is reported with what to do about it") {
  slimbuild::util::Fd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  if (!full) {
    WARN("/dev/full is not available here");
    return;
  }
  slimbuild::layer::ParallelGzipWriter gz(full.get(), 6, 2, "the test blob");
  std::string data(1 << 20, 'x');
  try {
    gz.write(data.data(), data.size());
    gz.finish();
    FAIL("writing to /dev/full succeeded");
  } catch (const slimbuild::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("cannot write the test blob") && Catch::Contains("No space left"));
    CHECK_THAT(e.hint(), Catch::Contains("free some disk space"));
  }
  // Mid-stream, with the writer thread behind: the caller's next blocks get
  // the error (it does not wait forever for a slot the writer will never free).
  slimbuild::layer::ParallelGzipWriter many(full.get(), 1, 3, "the long blob");
  int blocks = 0;
  try {
    for (; blocks < 64; ++blocks) many.write(data.data(), data.size());
    many.finish();
    FAIL("64 MiB went to /dev/full");
  } catch (const slimbuild::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("cannot write the long blob") && Catch::Contains("No space left"));
  }
  CHECK(blocks < 64);  // from a write(), long before the end
}
