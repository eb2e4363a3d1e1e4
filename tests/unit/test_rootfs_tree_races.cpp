// Issue 8, finding 6: a `files:` tree cannot be swapped between the walk
// (and its secret scan) and the layer's read. A file replaced by a symlink
// to a host file of the same size, or by another file, is an error naming
// it, and none of the other file's bytes reach the layer. Link targets are
// resolved inside the tree as the kernel will resolve them, so `e -> d/../x`
// with `d -> .` (each text looking inside) is refused.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include "rootfs/user_files.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs_test::put;
using rootfs_test::tree_spec;
namespace fs = std::filesystem;

namespace {

std::string layer_error(const rootfs::Rootfs& r, const fs::path& out) {
  try {
    layer::write_layer(r, out, {});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("rootfs: a tree file swapped for a symlink after the walk is refused, not followed") {
  util::TempDir tmp{"tree-race"};
  fs::path src = tmp.path() / "t";
  put(src, "sub/app.conf", "harmless-config-1");
  fs::path secret = put(tmp.path(), "shadow", "HOSTSECRET-shadow");  // same size (17 bytes)
  rootfs::Rootfs r;
  rootfs::add_user_files(r, tree_spec(src));
  fs::remove(src / "sub/app.conf");
  fs::create_symlink(secret, src / "sub/app.conf");
  std::string err = layer_error(r, tmp.path() / "layer.tgz");
  CHECK_THAT(err, Catch::Contains((src / "sub/app.conf").string()) && Catch::Contains("symlink"));

  // A directory on the path swapped for a link is refused the same way.
  fs::remove(src / "sub/app.conf");
  put(src, "sub/app.conf", "harmless-config-1");
  rootfs::Rootfs r2;
  rootfs::add_user_files(r2, tree_spec(src));
  put(tmp.path(), "elsewhere/app.conf", "HOSTSECRET-shadow");
  fs::rename(src / "sub", tmp.path() / "old-sub");
  fs::create_symlink(tmp.path() / "elsewhere", src / "sub");
  err = layer_error(r2, tmp.path() / "layer2.tgz");
  CHECK_THAT(err, Catch::Contains("app.conf") && Catch::Contains("symlink"));
}

TEST_CASE("rootfs: a tree file replaced by another file of the same size is refused") {
  util::TempDir tmp{"tree-race"};
  fs::path src = tmp.path() / "t";
  put(src, "app.conf", "harmless-config-1");
  rootfs::Rootfs r;
  rootfs::add_user_files(r, tree_spec(src));
  put(tmp.path(), "other", "HOSTSECRET-shadow");
  fs::rename(tmp.path() / "other", src / "app.conf");  // new inode, same size
  std::string err = layer_error(r, tmp.path() / "layer.tgz");
  CHECK_THAT(err, Catch::Contains((src / "app.conf").string()) && Catch::Contains("changed"));
  // Untouched, the same tree writes fine.
  rootfs::Rootfs again;
  rootfs::add_user_files(again, tree_spec(src));
  CHECK(layer_error(again, tmp.path() / "layer2.tgz").empty());
}

TEST_CASE("rootfs: a link through a link to . cannot climb out of the tree") {
  util::TempDir tmp{"tree-links"};
  fs::path src = tmp.path() / "t";
  put(src, "x", "inside");
  put(tmp.path(), "x", "outside");
  fs::create_symlink(".", src / "d");
  fs::create_symlink("d/../x", src / "e");
  rootfs::Rootfs r;
  CHECK_THROWS_WITH(rootfs::add_user_files(r, tree_spec(src)),
                    Catch::Contains((src / "e").string()) && Catch::Contains("outside"));
  // Chains that stay inside are still kept.
  fs::remove(src / "e");
  fs::create_directories(src / "sub");
  fs::create_symlink("../d/x", src / "sub/f");
  rootfs::Rootfs ok;
  rootfs::add_user_files(ok, tree_spec(src));
  CHECK(ok.find("/data/sub/f") != nullptr);
}
