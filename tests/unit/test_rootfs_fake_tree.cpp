// `files:` trees walked over tests/unit/fake_filesystem.hpp: what a real
// directory cannot show cheaply or at all as root (a subdirectory that cannot
// be listed, a file replaced at the exact moment between the walk's lstat and
// its open, sockets), and that the walk reads each file once.
#include <catch2/catch.hpp>

#include <slimbuild/manifest/manifest.hpp>
#include "rootfs/user_files.hpp"
#include <slimbuild/util/error.hpp>

#include "unit/fake_filesystem.hpp"
#include "unit/test_rootfs_support.hpp"

namespace fs = std::filesystem;
using fake_fs::FakeFileSystem;
using namespace slimbuild;
using rootfs_test::tree_spec;

namespace {

// The message add_user_files fails with.
std::string refusal(const FakeFileSystem& fake) {
  rootfs::Rootfs r;
  try {
    rootfs::add_user_files(r, tree_spec("/src/tree"), nullptr, nullptr, fake);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("the tree was accepted");
  return "";
}

FakeFileSystem& small_tree(FakeFileSystem& fake) {
  fake.add_file("/src/tree/a.txt", "a");
  fake.add_file("/src/tree/sub/b.txt", "b");
  fake.add_file("/src/tree/z.sh", "#!/bin/true\n", 0755);
  fake.add_symlink("/src/tree/sub/to-a", "../a.txt");
  return fake;
}

}  // namespace

TEST_CASE("rootfs (fake fs): a tree is walked in sorted order, each file opened once") {
  FakeFileSystem fake;
  small_tree(fake);  // the fake lists names in reverse order
  rootfs::Rootfs r;
  rootfs::add_user_files(r, tree_spec("/src/tree"), nullptr, nullptr, fake);
  std::vector<std::string> paths;
  for (const auto& [path, e] : r.entries()) paths.push_back(path);
  CHECK(paths == std::vector<std::string>{"/data", "/data/a.txt", "/data/sub", "/data/sub/b.txt", "/data/sub/to-a",
                                          "/data/z.sh"});
  CHECK(r.find("/data/z.sh")->mode == 0755);
  CHECK(r.find("/data/sub/to-a")->link_target == "../a.txt");
  // The secret scan reads the walked descriptor; nothing opens a file twice.
  for (const char* f : {"/src/tree/a.txt", "/src/tree/sub/b.txt", "/src/tree/z.sh"}) {
    INFO(f);
    CHECK(fake.calls(fake_fs::kOpenBeneath, f) == 1);
    CHECK(fake.calls(fake_fs::kOpen, f) == 0);
  }
}

TEST_CASE("rootfs (fake fs): a subdirectory that cannot be listed fails the build, naming it") {
  FakeFileSystem fake;
  small_tree(fake);
  fake.add_file("/src/tree/private/key.txt", "k");
  fake.fail("/src/tree/private", EACCES, fake_fs::kListDir);
  CHECK_THAT(refusal(fake), Catch::Contains("manifest.yml:7:5") &&
                                Catch::Contains("cannot list /src/tree/private: Permission denied"));
}

TEST_CASE("rootfs (fake fs): a file replaced between the walk's lstat and its open is refused") {
  FakeFileSystem fake;
  small_tree(fake);
  fake.before_open = [&](const fs::path& p) {
    if (p == "/src/tree/sub/b.txt") fake.add_file("/src/tree/sub/b.txt", "swapped in");
  };
  CHECK_THAT(refusal(fake), Catch::Contains("/src/tree/sub/b.txt changed between the check and the read") &&
                                Catch::Contains("it is another file now"));
  // Replaced by a symlink instead: the open beneath the root refuses to follow it.
  FakeFileSystem linked;
  small_tree(linked);
  linked.add_file("/etc/shadow", "root:x:");
  linked.before_open = [&](const fs::path& p) {
    if (p == "/src/tree/a.txt") linked.add_symlink("/src/tree/a.txt", "/etc/shadow");
  };
  CHECK_THAT(refusal(linked), Catch::Contains("/src/tree/a.txt was replaced by a symlink"));
  CHECK(linked.calls(fake_fs::kAll, "/etc/shadow") == 0);
}

TEST_CASE("rootfs (fake fs): a fifo or a socket in a tree is refused, saying which") {
  FakeFileSystem fifo;
  small_tree(fifo);
  fifo.add_fifo("/src/tree/sub/pipe");
  CHECK_THAT(refusal(fifo), Catch::Contains("/src/tree/sub/pipe is a named pipe (fifo)") &&
                                Catch::Contains("an image can only hold regular files, directories and symlinks"));
  FakeFileSystem sock;
  small_tree(sock);
  sock.add_socket("/src/tree/app.sock");
  CHECK_THAT(refusal(sock), Catch::Contains("/src/tree/app.sock is a socket"));
  CHECK(sock.calls(fake_fs::kOpen | fake_fs::kOpenBeneath, "/src/tree/app.sock") == 0);
}
