// write_layer end to end: the tar read back with libarchive's reader, the
// digests checked with the real gzip and sha256sum, and the bytes compared
// across umasks, source locations and file timestamps.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/time.h>

#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using slimbuild::layer::LayerOptions;
using slimbuild::layer::LayerResult;
using slimbuild::layer::write_layer;

TEST_CASE("layer: entries come out sorted, parents first, with normalised headers") {
  slimbuild::util::TempDir tmp("layer-test");
  Rootfs r = sample_rootfs(tmp.path() / "src");
  LayerOptions opt;
  opt.mtime = 1700000000;
  write_layer(r, tmp.path() / "layer.tar.gz", opt);
  auto entries = read_tar(tmp.path() / "layer.tar.gz");

  std::vector<std::string> names;
  for (auto& e : entries) names.push_back(e.path);
  CHECK(names == std::vector<std::string>{"app/", "app/hello", "etc/", "etc/empty", "etc/group", "etc/passwd", "home/",
                                          "home/app/", "lib64", "tmp/", "usr/", "usr/lib64/",
                                          "usr/lib64/libfoo.so.1", "usr/lib64/libfoo.so.1.2"});
  for (auto& e : entries) {
    INFO(e.path);
    CHECK(e.mtime == 1700000000);
    CHECK_FALSE(e.atime_set);
    CHECK_FALSE(e.ctime_set);
    CHECK_FALSE(e.birthtime_set);
    CHECK(e.uname.empty());
    CHECK(e.gname.empty());
    CHECK(e.hardlink.empty());
    CHECK(e.path.front() != '/');
    if (e.path != "home/app/") {
      CHECK(e.uid == 0);
      CHECK(e.gid == 0);
    }
  }
  auto find = [&](const std::string& name) {
    for (auto& e : entries)
      if (e.path == name) return e;
    FAIL("no entry " << name);
    return TarEntry{};
  };
  CHECK(find("app/").type == AE_IFDIR);
  CHECK(find("app/").perm == 0755);
  CHECK(find("app/hello").type == AE_IFREG);
  CHECK(find("app/hello").perm == 0755);  // from the entry, not the 0700 source
  CHECK(find("app/hello").content == read_bytes(tmp.path() / "src/hello"));
  CHECK(find("etc/passwd").content == "app:x:65532:65532::/home/app:/sbin/nologin\n");
  CHECK(find("etc/passwd").perm == 0644);
  CHECK(find("etc/empty").type == AE_IFREG);
  CHECK(find("etc/empty").size == 0);
  CHECK(find("tmp/").perm == 01777);
  CHECK(find("home/app/").perm == 0700);
  CHECK(find("home/app/").uid == 65532);
  CHECK(find("home/app/").gid == 65532);
  CHECK(find("lib64").type == AE_IFLNK);
  CHECK(find("lib64").symlink == "usr/lib64");
  CHECK(find("lib64").size == 0);
  CHECK(find("usr/lib64/libfoo.so.1").symlink == "libfoo.so.1.2");
  CHECK(find("usr/lib64/libfoo.so.1.2").content == std::string(70000, 'L'));
  CHECK(find("usr/lib64/libfoo.so.1.2").size == 70000);
}

TEST_CASE("layer: digest, diff_id and file hashes agree with gzip and sha256sum") {
  slimbuild::util::TempDir tmp("layer-test");
  Rootfs r = sample_rootfs(tmp.path() / "src");
  fs::path blob = tmp.path() / "layer.tar.gz";
  LayerResult res = write_layer(r, blob, {});

  CHECK(res.digest == "sha256:" + sha256sum(blob));
  CHECK(res.size == fs::file_size(blob));
  std::string tar = gunzip(blob);
  CHECK(res.diff_id == slimbuild::util::sha256_digest(tar));
  CHECK(res.tar_size == tar.size());
  CHECK(res.diff_id != res.digest);

  CHECK(res.file_sha256.size() == 5);  // regular files only
  CHECK(res.file_sha256.at("/app/hello") == sha256sum(tmp.path() / "src/hello"));
  CHECK(res.file_sha256.at("/usr/lib64/libfoo.so.1.2") == sha256sum(tmp.path() / "src/libfoo.so.1.2"));
  CHECK(res.file_sha256.at("/etc/empty") == slimbuild::util::sha256_hex(""));
  CHECK(res.file_sha256.at("/etc/group") == slimbuild::util::sha256_hex("app:x:65532:\n"));
  CHECK(res.file_sha256.count("/lib64") == 0);

  struct stat st {};
  REQUIRE(::stat(blob.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("layer: the archive ends with exactly two zero blocks, no record padding") {
  slimbuild::util::TempDir tmp("layer-test");
  Rootfs r;
  r.add(generated("/a", "hello"));  // 1 header + 1 data block
  LayerResult res = write_layer(r, tmp.path() / "l.tgz", {});
  std::string tar = gunzip(tmp.path() / "l.tgz");
  CHECK(tar.size() == 512 * 2 + 1024);
  CHECK(tar.substr(tar.size() - 1024) == std::string(1024, '\0'));
  CHECK(res.tar_size == tar.size());
}

TEST_CASE("layer: same rootfs gives the same bytes whatever the umask, source path or file times") {
  slimbuild::util::TempDir tmp("layer-test");
  Rootfs a = sample_rootfs(tmp.path() / "one");
  Rootfs b = sample_rootfs(tmp.path() / "elsewhere/two");
  // Different timestamps on the second copy's sources (a different "clock").
  for (auto* f : {"hello", "libfoo.so.1.2"}) {
    struct timeval tv[2] = {{123456789, 0}, {987654321, 5}};
    REQUIRE(::utimes((tmp.path() / "elsewhere/two" / f).c_str(), tv) == 0);
  }
  LayerOptions opt;
  opt.mtime = 1234567890;
  mode_t old = ::umask(0);
  LayerResult ra = write_layer(a, tmp.path() / "a.tgz", opt);
  ::umask(077);
  LayerResult rb = write_layer(b, tmp.path() / "b.tgz", opt);
  ::umask(old);

  CHECK(read_bytes(tmp.path() / "a.tgz") == read_bytes(tmp.path() / "b.tgz"));
  CHECK(ra.digest == rb.digest);
  CHECK(ra.diff_id == rb.diff_id);
  CHECK(ra.file_sha256 == rb.file_sha256);
  struct stat st {};
  REQUIRE(::stat((tmp.path() / "b.tgz").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);

  SECTION("and a different mtime option gives a different layer") {
    opt.mtime = 0;
    LayerResult rc = write_layer(a, tmp.path() / "c.tgz", opt);
    CHECK(rc.diff_id != ra.diff_id);
  }
}

TEST_CASE("layer: bad inputs are clear errors and leave no output behind") {
  slimbuild::util::TempDir tmp("layer-test");
  fs::path out = tmp.path() / "out.tgz";
  Rootfs r;

  SECTION("missing source") {
    write_text(tmp.path() / "gone", "x");
    r.add(file_from("/gone", tmp.path() / "gone"));
    fs::remove(tmp.path() / "gone");
    CHECK_THROWS_WITH(write_layer(r, out, {}), Catch::Contains("cannot read") && Catch::Contains("/gone"));
  }
  SECTION("source that is not a regular file") {
    REQUIRE(::mkfifo((tmp.path() / "fifo").c_str(), 0644) == 0);
    Entry e = generated("/fifo", "");
    e.source = tmp.path() / "fifo";
    r.add(e);
    CHECK_THROWS_WITH(write_layer(r, out, {}), Catch::Contains("not a regular file"));
  }
  SECTION("compression level out of range") {
    r.add(generated("/a", "a"));
    LayerOptions opt;
    opt.compression.level = 10;
    CHECK_THROWS_WITH(write_layer(r, out, opt), Catch::Contains("gzip compression level 10 is out of range"));
  }
  SECTION("negative timestamp") {
    r.add(generated("/a", "a"));
    LayerOptions opt;
    opt.mtime = -5;
    CHECK_THROWS_WITH(write_layer(r, out, opt), Catch::Contains("before 1970"));
  }
  SECTION("symlink without a target") {
    r.add(link_entry("/l", ""));
    CHECK_THROWS_WITH(write_layer(r, out, {}), Catch::Contains("empty target"));
  }
  CHECK_FALSE(fs::exists(out));

  SECTION("existing output is not overwritten") {
    write_text(out, "precious");
    r.add(generated("/a", "a"));
    CHECK_THROWS_WITH(write_layer(r, out, {}), Catch::Contains("cannot create"));
    CHECK(read_bytes(out) == "precious");
  }
}
