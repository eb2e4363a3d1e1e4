// Rootfs::add rules: parents on demand, identical duplicates merged,
// conflicts and additions below a symlink refused, modes cleaned.
#include <catch2/catch.hpp>

#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/util/error.hpp>

using namespace slimbuild;
using rootfs::Entry;
using rootfs::EntryOrigin;
using rootfs::EntryType;

namespace {
Entry content_file(const std::string& path, const std::string& content, EntryOrigin origin = EntryOrigin::Generated) {
  Entry e;
  e.path = path;
  e.content = content;
  e.size = content.size();
  e.origin = origin;
  return e;
}
Entry symlink_entry(const std::string& path, const std::string& target, EntryOrigin origin = EntryOrigin::Library) {
  Entry e;
  e.path = path;
  e.type = EntryType::Symlink;
  e.mode = 0777;
  e.link_target = target;
  e.origin = origin;
  return e;
}
}  // namespace

TEST_CASE("rootfs: add creates missing parents as root-owned 0755 directories, sorted") {
  rootfs::Rootfs r;
  r.add(content_file("/usr/share/doc/x", "x"));
  std::vector<std::string> paths;
  for (const auto& [p, e] : r.entries()) paths.push_back(p);
  CHECK(paths == std::vector<std::string>{"/usr", "/usr/share", "/usr/share/doc", "/usr/share/doc/x"});
  for (const char* dir : {"/usr", "/usr/share", "/usr/share/doc"}) {
    const Entry* e = r.find(dir);
    REQUIRE(e);
    CHECK(e->type == EntryType::Directory);
    CHECK(e->mode == 0755);
    CHECK(e->uid == 0);
    CHECK(e->gid == 0);
  }
}

TEST_CASE("rootfs: paths are normalised and may not climb out") {
  rootfs::Rootfs r;
  r.add(content_file("//etc/./hello//conf", "a"));
  CHECK(r.contains("/etc/hello/conf"));
  CHECK_THROWS_WITH(r.add(content_file("/etc/../../x", "a")), Catch::Contains("climbs out"));
  CHECK_THROWS_WITH(r.add(content_file("relative/x", "a")), Catch::Contains("not absolute"));
  CHECK_THROWS(r.add(content_file("/", "a")));
}

TEST_CASE("rootfs: an identical duplicate is a no-op and merges needed_by") {
  rootfs::Rootfs r;
  Entry a = symlink_entry("/lib", "usr/lib");
  a.needed_by = {"/app/a"};
  Entry b = symlink_entry("/lib", "usr/lib");
  b.needed_by = {"/app/b"};
  r.add(a);
  r.add(b);
  CHECK(r.entries().size() == 1);
  CHECK(r.find("/lib")->needed_by == std::vector<std::string>{"/app/a", "/app/b"});
}

TEST_CASE("rootfs: a conflicting duplicate names both origins") {
  rootfs::Rootfs r;
  r.add(content_file("/etc/passwd", "app:x:1:1::/home/app:/sbin/nologin\n", EntryOrigin::Generated));
  try {
    r.add(content_file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", EntryOrigin::Files));
    FAIL("expected a conflict");
  } catch (const Error& e) {
    std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("/etc/passwd") && Catch::Contains("generated") && Catch::Contains("files"));
  }
  CHECK_THROWS_WITH(r.add(symlink_entry("/etc/passwd", "/x", EntryOrigin::Files)), Catch::Contains("twice"));
}

TEST_CASE("rootfs: adding below a symlink is refused") {
  rootfs::Rootfs r;
  r.add(symlink_entry("/lib", "usr/lib"));
  CHECK_THROWS_WITH(r.add(content_file("/lib/x86_64-linux-gnu/libc.so.6", "elf", EntryOrigin::Files)),
                    Catch::Contains("/lib is a symlink") && Catch::Contains("library"));
  // And a file where a directory is needed.
  r.add(content_file("/app", "binary", EntryOrigin::Binary));
  CHECK_THROWS_WITH(r.add(content_file("/app/conf", "x", EntryOrigin::Files)), Catch::Contains("not a directory"));
}

TEST_CASE("rootfs: setuid, setgid and sticky bits are always stripped except /tmp's sticky bit") {
  rootfs::Rootfs r;
  Entry f = content_file("/app/tool", "x");
  f.mode = 06755;
  r.add(f);
  CHECK(r.find("/app/tool")->mode == 0755);
  Entry d;
  d.path = "/data";
  d.type = EntryType::Directory;
  d.mode = 07777;
  d.origin = rootfs::EntryOrigin::Files;
  r.add(d);
  CHECK(r.find("/data")->mode == 0777);
  Entry tmp = d;
  tmp.path = "/tmp";
  tmp.mode = 01777;
  r.add(tmp);
  CHECK(r.find("/tmp")->mode == 01777);
}

TEST_CASE("rootfs: an implicit parent takes the attributes of a later explicit directory") {
  rootfs::Rootfs r;
  r.add(content_file("/home/app/.config", "x", EntryOrigin::Files));
  Entry home;
  home.path = "/home/app";
  home.type = EntryType::Directory;
  home.mode = 0700;
  home.uid = home.gid = 65532;
  home.origin = rootfs::EntryOrigin::Generated;
  r.add(home);
  CHECK(r.find("/home/app")->mode == 0700);
  CHECK(r.find("/home/app")->uid == 65532);
  CHECK(r.find("/home/app")->origin == EntryOrigin::Generated);
}
