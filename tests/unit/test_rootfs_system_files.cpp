// Generated /etc files, /tmp and the home directory, byte for byte.
#include <catch2/catch.hpp>

#include <slimbuild/manifest/manifest.hpp>
#include "rootfs/system_files.hpp"
#include <slimbuild/util/error.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs_test::entry;

TEST_CASE("rootfs: passwd, group and nsswitch.conf have exactly the distroless-style content") {
  manifest::UserSpec user;
  user.name = "svc";
  user.uid = 1234;
  user.gid = 5678;
  rootfs::Rootfs r;
  rootfs::add_system_files(r, user);

  CHECK(entry(r, "/etc/passwd").content == "svc:x:1234:5678::/home/svc:/sbin/nologin\n");
  CHECK(entry(r, "/etc/group").content == "svc:x:5678:\n");
  CHECK(entry(r, "/etc/nsswitch.conf").content ==
        "passwd:         files\ngroup:          files\nshadow:         files\ngshadow:        files\n\n"
        "hosts:          files dns\nnetworks:       files\n\nprotocols:      db files\n"
        "services:       db files\nethers:         db files\nrpc:            db files\n");
  for (const char* p : {"/etc/passwd", "/etc/group", "/etc/nsswitch.conf"}) {
    const auto& e = entry(r, p);
    CHECK(e.type == rootfs::EntryType::File);
    CHECK(e.mode == 0644);
    CHECK(e.uid == 0);
    CHECK(e.size == e.content.size());
    CHECK(e.source.empty());
    CHECK(e.origin == rootfs::EntryOrigin::Generated);
  }
  // No root entry: nothing in the image is meant to run as root.
  CHECK(entry(r, "/etc/passwd").content.find("root") == std::string::npos);
  CHECK(entry(r, "/etc/group").content.find("root") == std::string::npos);
}

TEST_CASE("rootfs: /tmp is 1777 and the home is 0700 owned by the user") {
  manifest::UserSpec user;
  user.name = "app";
  user.uid = 65532;
  user.gid = 65533;
  rootfs::Rootfs r;
  rootfs::add_system_files(r, user);
  const auto& tmp = entry(r, "/tmp");
  CHECK(tmp.type == rootfs::EntryType::Directory);
  CHECK(tmp.mode == 01777);
  CHECK(tmp.uid == 0);
  const auto& home = entry(r, "/home/app");
  CHECK(home.type == rootfs::EntryType::Directory);
  CHECK(home.mode == 0700);
  CHECK(home.uid == 65532);
  CHECK(home.gid == 65533);
  CHECK(entry(r, "/home").uid == 0);
  CHECK(entry(r, "/home").mode == 0755);
}

TEST_CASE("rootfs: user names that would corrupt passwd and root ids are refused") {
  for (std::string bad : {"a:b", "a\nroot:x:0:0::/:/bin/sh", "", "../x", "a b"}) {
    manifest::UserSpec user;
    user.name = bad;
    user.uid = user.gid = 1000;
    rootfs::Rootfs r;
    CHECK_THROWS_AS(rootfs::add_system_files(r, user), Error);
  }
  manifest::UserSpec root;
  root.name = "app";
  root.uid = 1000;
  root.gid = 0;
  rootfs::Rootfs r;
  CHECK_THROWS_WITH(rootfs::add_system_files(r, root), Catch::Contains("root"));
}
