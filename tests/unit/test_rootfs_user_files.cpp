// `files:` entries: single files, trees walked in order, modes, links inside
// and outside the tree, special files, hard links, excludes and secrets.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/rootfs/tree.hpp>
#include "rootfs/user_files.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs::EntryType;
using rootfs_test::entry;
using rootfs_test::put;
namespace fs = std::filesystem;

namespace {
manifest::FileSpec tree_spec(const fs::path& src, const std::string& dest) {
  manifest::FileSpec s;
  s.src = src;
  s.dest = dest;
  s.dest_is_dir = true;
  s.where = {"manifest.yml", 7, 5};
  return s;
}
std::vector<std::string> paths_below(const rootfs::Rootfs& r, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& [p, e] : r.entries())
    if (p.rfind(prefix, 0) == 0) out.push_back(p);
  return out;
}
}  // namespace

TEST_CASE("rootfs: a files: tree lands below dest in sorted order with exec-bit modes") {
  util::TempDir tmp{"rootfs-tree"};
  fs::path src = tmp.path() / "config";
  put(src, "b.conf", "b", 0600);       // odd host modes do not leak
  put(src, "a.sh", "#!x", 0700);
  put(src, "sub/z", "z", 0664);
  put(src, "sub/A", "A", 0644);
  fs::create_directories(src / "empty");
  ::chmod((src / "sub").c_str(), 0700);

  rootfs::Rootfs r;
  rootfs::add_user_files(r, tree_spec(src, "/etc/hello"));
  CHECK(paths_below(r, "/etc/hello") ==
        std::vector<std::string>{"/etc/hello", "/etc/hello/a.sh", "/etc/hello/b.conf", "/etc/hello/empty",
                                 "/etc/hello/sub", "/etc/hello/sub/A", "/etc/hello/sub/z"});
  CHECK(entry(r, "/etc/hello/a.sh").mode == 0755);
  CHECK(entry(r, "/etc/hello/b.conf").mode == 0644);
  CHECK(entry(r, "/etc/hello/sub/z").mode == 0644);
  CHECK(entry(r, "/etc/hello/sub").mode == 0755);
  CHECK(entry(r, "/etc/hello/empty").type == EntryType::Directory);
  CHECK(entry(r, "/etc/hello/sub/A").source == src / "sub/A");
  CHECK(entry(r, "/etc/hello/sub/A").size == 1);
  CHECK(entry(r, "/etc/hello/sub/A").origin == rootfs::EntryOrigin::Files);
  CHECK(entry(r, "/etc/hello/sub/A").uid == 0);
}

TEST_CASE("rootfs: the manifest mode overrides files but not directories") {
  util::TempDir tmp{"rootfs-mode"};
  fs::path src = tmp.path() / "t";
  put(src, "x", "x", 0755);
  put(src, "d/y", "y", 0644);
  auto spec = tree_spec(src, "/srv");
  spec.mode = 0640;
  rootfs::Rootfs r;
  rootfs::add_user_files(r, spec);
  CHECK(entry(r, "/srv/x").mode == 0640);
  CHECK(entry(r, "/srv/d/y").mode == 0640);
  CHECK(entry(r, "/srv/d").mode == 0755);
}

TEST_CASE("rootfs: single files go to dest, or into dest/ by basename, and setuid never survives") {
  util::TempDir tmp{"rootfs-single"};
  fs::path tool = put(tmp.path(), "tool", "#!/bin/true", 0755);
  ::chmod(tool.c_str(), 04755);
  REQUIRE((fs::status(tool).permissions() & fs::perms::set_uid) != fs::perms::none);

  manifest::FileSpec into = tree_spec(tool, "/usr/local/bin");
  manifest::FileSpec exact = into;
  exact.dest = "/opt/renamed";
  exact.dest_is_dir = false;
  manifest::FileSpec with_mode = exact;
  with_mode.dest = "/opt/with-mode";
  with_mode.mode = 06755;
  rootfs::Rootfs r;
  rootfs::add_user_files(r, into);
  rootfs::add_user_files(r, exact);
  rootfs::add_user_files(r, with_mode);
  CHECK(entry(r, "/usr/local/bin/tool").mode == 0755);
  CHECK(entry(r, "/opt/renamed").mode == 0755);
  CHECK(entry(r, "/opt/with-mode").mode == 0755);
  for (const auto& [p, e] : r.entries()) CHECK((e.mode & 06000) == 0);
}

TEST_CASE("rootfs: symlinks inside a tree are kept, absolute ones made relative") {
  util::TempDir tmp{"rootfs-links"};
  fs::path src = tmp.path() / "t";
  put(src, "real/file", "x");
  fs::create_symlink("real/file", src / "rel");
  fs::create_symlink(src / "real/file", src / "abs");
  fs::create_directories(src / "deep/er");
  fs::create_symlink("../../real/file", src / "deep/er/up");
  fs::create_symlink(src / "real", src / "deep/dirlink");
  rootfs::Rootfs r;
  rootfs::add_user_files(r, tree_spec(src, "/data"));
  CHECK(entry(r, "/data/rel").type == EntryType::Symlink);
  CHECK(entry(r, "/data/rel").link_target == "real/file");
  CHECK(entry(r, "/data/abs").link_target == "real/file");
  CHECK(entry(r, "/data/deep/er/up").link_target == "../../real/file");
  CHECK(entry(r, "/data/deep/dirlink").link_target == "../real");
  CHECK(entry(r, "/data/rel").mode == 0777);
}

TEST_CASE("rootfs: symlinks leaving a tree are refused with the link and its target") {
  util::TempDir tmp{"rootfs-escape"};
  fs::path src = tmp.path() / "t";
  put(src, "ok", "x");
  for (std::string target : {"/etc/shadow", "../outside", "sub/../../t/ok"}) {
    fs::remove(src / "bad");
    fs::create_symlink(target, src / "bad");
    rootfs::Rootfs r;
    try {
      rootfs::add_user_files(r, tree_spec(src, "/data"));
      FAIL("link to " + target + " was accepted");
    } catch (const Error& e) {
      std::string msg = e.what();
      CHECK_THAT(msg, Catch::Contains("manifest.yml:7:5") && Catch::Contains((src / "bad").string()) &&
                          Catch::Contains(target) && Catch::Contains("outside"));
    }
  }
}

TEST_CASE("rootfs: fifos in a tree are refused and hard links become independent files") {
  util::TempDir tmp{"rootfs-special"};
  fs::path src = tmp.path() / "t";
  fs::path a = put(src, "a", "shared");
  REQUIRE(::link(a.c_str(), (src / "b").c_str()) == 0);
  rootfs::Rootfs r;
  rootfs::add_user_files(r, tree_spec(src, "/data"));
  CHECK(entry(r, "/data/a").type == EntryType::File);
  CHECK(entry(r, "/data/b").type == EntryType::File);
  CHECK(entry(r, "/data/b").size == 6);

  REQUIRE(::mkfifo((src / "pipe").c_str(), 0644) == 0);
  rootfs::Rootfs r2;
  CHECK_THROWS_WITH(rootfs::add_user_files(r2, tree_spec(src, "/data")),
                    Catch::Contains("fifo") && Catch::Contains((src / "pipe").string()));
  // ... unless excluded.
  auto spec = tree_spec(src, "/data");
  spec.exclude = {"pipe"};
  rootfs::Rootfs r3;
  rootfs::add_user_files(r3, spec);
  CHECK_FALSE(r3.contains("/data/pipe"));
}

TEST_CASE("rootfs: exclude patterns drop files and whole directories") {
  util::TempDir tmp{"rootfs-exclude"};
  fs::path src = tmp.path() / "t";
  put(src, "keep.py", "x");
  put(src, "__pycache__/keep.cpython-311.pyc", "x");
  put(src, "pkg/__pycache__/m.pyc", "x");
  put(src, "pkg/m.py", "x");
  put(src, "notes.log", "x");
  auto spec = tree_spec(src, "/lib/py");
  spec.exclude = {"__pycache__/", "*.log"};
  rootfs::Rootfs r;
  rootfs::add_user_files(r, spec);
  CHECK(paths_below(r, "/lib/py") ==
        std::vector<std::string>{"/lib/py", "/lib/py/keep.py", "/lib/py/pkg", "/lib/py/pkg/m.py"});
}

TEST_CASE("rootfs: secrets in a tree are refused, naming the file and why") {
  util::TempDir tmp{"rootfs-secret"};
  fs::path src = tmp.path() / "t";
  put(src, "app.conf", "x");
  put(src, "keys/server.key", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n");
  rootfs::Rootfs r;
  try {
    rootfs::add_user_files(r, tree_spec(src, "/etc/app"));
    FAIL("the private key was accepted");
  } catch (const Error& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("manifest.yml:7:5") && Catch::Contains("keys/server.key") &&
                                          Catch::Contains("private key"));
    CHECK_THAT(e.hint(), Catch::Contains("exclude"));
  }
  auto spec = tree_spec(src, "/etc/app");
  spec.exclude = {"*.key"};
  rootfs::Rootfs r2;
  rootfs::add_user_files(r2, spec);
  CHECK(r2.contains("/etc/app/app.conf"));
  CHECK_FALSE(r2.contains("/etc/app/keys/server.key"));
  // Listed on its own, the same file is a deliberate choice and ships.
  manifest::FileSpec single = tree_spec(src / "keys/server.key", "/etc/app/tls.key");
  single.dest_is_dir = false;
  rootfs::add_user_files(r2, single);
  CHECK(r2.contains("/etc/app/tls.key"));
}

TEST_CASE("rootfs: every secret in a tree is named in one error") {
  util::TempDir tmp{"rootfs-secrets"};
  fs::path src = tmp.path() / "t";
  put(src, "app.conf", "x");
  put(src, ".env", "TOKEN=abc\n");
  put(src, "ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n");
  for (int i = 0; i < 12; ++i) put(src, ".git/objects/o" + std::to_string(i), "blob");
  rootfs::Rootfs r;
  try {
    rootfs::add_user_files(r, tree_spec(src, "/etc/app"));
    FAIL("the secrets were accepted");
  } catch (const Error& e) {
    std::string what = e.what();
    // The .git directory is one line, not twelve, so the key is not hidden.
    CHECK_THAT(what, Catch::Contains("3 files that look like secrets"));
    CHECK_THAT(what, Catch::Contains(".env") && Catch::Contains("id_ed25519") && Catch::Contains(".git/: a git directory"));
    CHECK_THAT(what, !Catch::Contains("objects/o1"));
    CHECK_THAT(e.hint(), Catch::Contains("exclude") && Catch::Contains("of its own"));
  }
  for (int i = 0; i < 12; ++i) put(src, "envs/" + std::to_string(i) + "/.env", "K=v\n");
  try {
    rootfs::Rootfs r3;
    rootfs::add_user_files(r3, tree_spec(src, "/etc/app"));
    FAIL("the secrets were accepted");
  } catch (const Error& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("15 files") && Catch::Contains("... and 5 more"));
  }
}

TEST_CASE("rootfs: big files are scanned on the walk's threads, and the secrets still come in walk order") {
  // 120 small files make the walk read its batch on every core; the files
  // too big to hold (over 64 KiB) are then scanned on those threads. Their
  // names sort differently as whole paths ("a-b" < "a/...") than in the
  // walk (a/ first), and one held file has a secret too.
  util::TempDir tmp_dir{"rootfs-secrets-threads"};
  const std::string pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n";
  const std::string big(70 << 10, 'x');
  fs::path src = tmp_dir.path() / "t";
  for (int i = 0; i < 120; ++i) put(src, "pad/f" + std::to_string(i) + ".txt", "small\n");
  put(src, "pad/f7.txt", pem);  // held: checked in walk order from its bytes
  put(src, "a/k1.txt", big + pem);
  put(src, "a/z/k2.txt", pem + big);
  put(src, "a-b.txt", big + pem + big);
  put(src, "b.bin", big + pem);
  put(src, "clean.bin", big + big);
  std::string first;
  for (int run = 0; run < 5; ++run) {
    rootfs::Rootfs r;
    rootfs::HoldBudget hold;
    try {
      rootfs::add_user_files(r, tree_spec(src, "/data"), nullptr, &hold);
      FAIL("the secrets were accepted");
    } catch (const Error& e) {
      std::string what = e.what();
      CHECK_THAT(what, Catch::Contains("5 files that look like secrets") && !Catch::Contains("clean.bin"));
      std::vector<std::size_t> at;  // where each is named, in walk order
      for (const char* name : {"a/k1.txt", "a/z/k2.txt", "a-b.txt", "b.bin", "pad/f7.txt"}) {
        at.push_back(what.find((src / name).string() + ": it "));
        CHECK(at.back() != std::string::npos);
      }
      CHECK(std::is_sorted(at.begin(), at.end()));
      if (run == 0) first = what;
      CHECK(what == first);  // the same message every time
    }
  }
}

TEST_CASE("rootfs: a files: dest over a generated file is a conflict naming the manifest line") {
  util::TempDir tmp{"rootfs-conflict"};
  fs::path f = put(tmp.path(), "passwd", "root:x:0:0::/root:/bin/sh\n");
  rootfs::Rootfs r;
  rootfs::Entry gen;
  gen.path = "/etc/passwd";
  gen.content = "app:x:1:1::/home/app:/sbin/nologin\n";
  gen.size = gen.content.size();
  gen.origin = rootfs::EntryOrigin::Generated;
  r.add(gen);
  manifest::FileSpec spec = tree_spec(f, "/etc/passwd");
  spec.dest_is_dir = false;
  CHECK_THROWS_WITH(rootfs::add_user_files(r, spec), Catch::Contains("manifest.yml:7:5") &&
                                                         Catch::Contains("/etc/passwd") &&
                                                         Catch::Contains("generated") && Catch::Contains("files"));
  manifest::FileSpec missing = tree_spec(tmp.path() / "nope", "/x/");
  CHECK_THROWS_WITH(rootfs::add_user_files(r, missing), Catch::Contains("does not exist"));
}

TEST_CASE("rootfs: link_inside_tree resolves lexically against the tree root") {
  fs::path root = "/src/tree";
  CHECK(rootfs::link_inside_tree(root, "a/link", "b").value() == "b");
  CHECK(rootfs::link_inside_tree(root, "a/link", "../b").value() == "../b");
  CHECK_FALSE(rootfs::link_inside_tree(root, "a/link", "../../b"));
  CHECK_FALSE(rootfs::link_inside_tree(root, "link", ""));
  CHECK(rootfs::link_inside_tree(root, "a/b/link", "/src/tree/c/d").value() == "../../c/d");
  CHECK(rootfs::link_inside_tree(root, "link", "/src/tree/c").value() == "c");
  CHECK_FALSE(rootfs::link_inside_tree(root, "link", "/src/treehouse/c"));
  CHECK_FALSE(rootfs::link_inside_tree(root, "link", "/src/tree/../x"));
}
