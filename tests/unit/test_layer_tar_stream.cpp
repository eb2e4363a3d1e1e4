// The tar format details: pax extended headers appear only when ustar cannot
// hold a field, never carry atime/ctime, and have PID-free names; long and
// non-ASCII names and long link targets survive a round trip through
// libarchive's reader and GNU tar.
#include <catch2/catch.hpp>

#include <slimbuild/layer/layer_writer.hpp>
#include "layer/tar_stream.hpp"

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using slimbuild::layer::write_layer;

TEST_CASE("layer: tar_name makes relative names and marks directories") {
  using slimbuild::layer::tar_name;
  CHECK(tar_name("/etc/passwd", EntryType::File) == "etc/passwd");
  CHECK(tar_name("/etc", EntryType::Directory) == "etc/");
  CHECK(tar_name("/lib64", EntryType::Symlink) == "lib64");
  CHECK_THROWS(tar_name("/", EntryType::Directory));
}

TEST_CASE("layer: short ASCII names get plain ustar headers, no pax records") {
  slimbuild::util::TempDir tmp("layer-test");
  Rootfs r = sample_rootfs(tmp.path() / "src");
  write_layer(r, tmp.path() / "l.tgz", {});
  std::string tar = gunzip(tmp.path() / "l.tgz");
  CHECK(tar.find("PaxHeader") == std::string::npos);
  CHECK(tar.find("atime") == std::string::npos);
  CHECK(tar.find("ctime") == std::string::npos);
  CHECK(tar.find("LIBARCHIVE") == std::string::npos);
  CHECK(tar.find("ustar") != std::string::npos);
  // First header: "app/" with ustar magic "ustar\0" version "00" (POSIX).
  CHECK(tar.substr(0, 4) == "app/");
  CHECK(tar.substr(257, 8) == std::string("ustar\0" "00", 8));
}

TEST_CASE("layer: long and non-ASCII names use minimal pax records") {
  slimbuild::util::TempDir tmp("layer-test");
  // 120 bytes in one component: ustar's 100-byte name field cannot hold it
  // and there is no '/' to split it into prefix + name.
  std::string long_name = "/opt/" + std::string(120, 'n');
  // 180 bytes in short components: fits the ustar prefix/name split.
  std::string split_name = "/" + std::string(90, 'd') + "/" + std::string(80, 'f');
  std::string utf8_name = "/etc/caf\xc3\xa9-\xe2\x82\xac.txt";
  std::string long_target = std::string(150, 't');
  Rootfs r;
  r.add(generated(long_name, "long"));
  r.add(generated(split_name, "split"));
  r.add(generated(utf8_name, "utf8"));
  r.add(link_entry("/opt/link", long_target));
  r.add(generated("/uid/big", "id"));
  Entry big = generated("/uid/huge-owner", "id");
  big.uid = 3000000;  // above ustar's 7 octal digits
  r.add(big);
  write_layer(r, tmp.path() / "l.tgz", {});

  auto entries = read_tar(tmp.path() / "l.tgz");
  std::map<std::string, TarEntry> by_name;
  for (auto& e : entries) by_name[e.path] = e;
  CHECK(by_name.at(long_name.substr(1)).content == "long");
  CHECK(by_name.at(split_name.substr(1)).content == "split");
  CHECK(by_name.at(utf8_name.substr(1)).content == "utf8");
  CHECK(by_name.at("opt/link").symlink == long_target);
  CHECK(by_name.at("uid/huge-owner").uid == 3000000);

  std::string tar = gunzip(tmp.path() / "l.tgz");
  // One pax record each for the long name, the UTF-8 name, the link target
  // and the big uid; the splittable name needs none. Each is named
  // "<dir>/PaxHeader/<name>" (possibly split across ustar prefix and name).
  // The ustar header after it carries a truncated name for readers that
  // ignore pax; every reader we care about (Go, libarchive, GNU tar) uses
  // the pax path.
  size_t pax_headers = 0;
  for (size_t at = 0; (at = tar.find("PaxHeader/", at)) != std::string::npos; ++at) ++pax_headers;
  CHECK(pax_headers == 4);
  CHECK(tar.find(" path=" + long_name.substr(1) + "\n") != std::string::npos);
  CHECK(tar.find(" path=" + utf8_name.substr(1) + "\n") != std::string::npos);
  CHECK(tar.find(" linkpath=" + long_target + "\n") != std::string::npos);
  CHECK(tar.find(" uid=3000000\n") != std::string::npos);
  CHECK(tar.find(" path=" + split_name.substr(1)) == std::string::npos);
  CHECK(tar.find("time=") == std::string::npos);  // no atime, ctime, mtime records
  CHECK(tar.find("hdrcharset") == std::string::npos);
  CHECK(tar.find("PaxHeader.") == std::string::npos);  // no PID-numbered names

  // GNU tar, an independent reader, lists the same names.
  auto listed = slimbuild::util::run_process({"tar", "-tzf", (tmp.path() / "l.tgz").string()});
  REQUIRE(listed.ok());
  CHECK(listed.out.find(long_name.substr(1) + "\n") != std::string::npos);
  CHECK(listed.out.find(utf8_name.substr(1) + "\n") != std::string::npos);
  CHECK(listed.out.find(split_name.substr(1) + "\n") != std::string::npos);
}

TEST_CASE("layer: TarStream refuses entries whose data does not match their size") {
  std::string out;
  slimbuild::layer::TarStream tar([&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); });
  slimbuild::layer::TarHeader h;
  h.path = "a";
  h.size = 4;
  tar.write_header(h);
  CHECK_THROWS_WITH(tar.write_data("12345", 5), Catch::Contains("more data than its size"));
  tar.write_data("12", 2);
  CHECK_THROWS_WITH(tar.finish(), Catch::Contains("2 bytes short"));
}

TEST_CASE("layer: an output error from the sink surfaces as that error") {
  slimbuild::layer::TarStream tar([](const void*, size_t) { throw slimbuild::Error("disk full (test)"); });
  slimbuild::layer::TarHeader h;
  h.path = "a";
  h.size = 0;
  // libarchive buffers; the sink is first called at the latest on finish().
  CHECK_THROWS_WITH((tar.write_header(h), tar.finish()), "disk full (test)");
}

TEST_CASE("layer: names that are not UTF-8 are refused, not mangled") {
  slimbuild::util::TempDir tmp("layer-test");
  for (std::string bad : {"/bad\xff", "/over\xc0\xaf", "/cut\xe2\x82", "/surrogate\xed\xa0\x80"}) {
    Rootfs r;
    r.add(generated(bad, "x"));
    CHECK_THROWS_WITH(write_layer(r, tmp.path() / "l.tgz", {}), Catch::Contains("not valid UTF-8"));
    CHECK_FALSE(fs::exists(tmp.path() / "l.tgz"));
  }
  Rootfs shown;
  shown.add(generated("/tab\t\xff", "x"));
  CHECK_THROWS_WITH(write_layer(shown, tmp.path() / "l.tgz", {}), Catch::Contains("'tab\\t\\xff'"));
  Rootfs r;
  r.add(link_entry("/l", "bad\xff"));
  CHECK_THROWS_WITH(write_layer(r, tmp.path() / "l.tgz", {}), Catch::Contains("not valid UTF-8"));
}

TEST_CASE("layer: timestamps past 2038 survive through a pax mtime record") {
  slimbuild::util::TempDir tmp("layer-test");
  Rootfs r;
  r.add(generated("/f", "x"));
  slimbuild::layer::LayerOptions opt;
  opt.mtime = 4102444800;  // 2100-01-01, beyond ustar's signed 32-bit compromise
  write_layer(r, tmp.path() / "l.tgz", opt);
  for (auto& e : read_tar(tmp.path() / "l.tgz")) CHECK(e.mtime == 4102444800);
  std::string tar = gunzip(tmp.path() / "l.tgz");
  CHECK(tar.find(" mtime=4102444800\n") != std::string::npos);
  CHECK(tar.find("atime=") == std::string::npos);
}
