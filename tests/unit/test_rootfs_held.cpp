// Small `files:` tree files held by the walk (rootfs::HoldBudget): the walk
// reads each one whole, beneath the tree root, on all cores; its entry keeps
// the bytes, and the layer, the secret scan and the SBOM use them instead of
// reading the file again. What is held is decided in walk order within the
// budget, so the same files are held on every run, and the layer is the same
// bytes whether a file was held or not. A file that changes during its read
// fails the build naming it (first in walk order when several do).
#include <catch2/catch.hpp>

#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/rootfs/tree.hpp>
#include "rootfs/user_files.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/fake_filesystem.hpp"
#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using fake_fs::FakeFileSystem;
using rootfs_test::put;
using rootfs_test::tree_spec;
namespace fs = std::filesystem;

namespace {

layer::LayerResult layer_of(const rootfs::Rootfs& r, const fs::path& out) {
  layer::LayerOptions options;
  options.mtime = 1700000000;
  return layer::write_layer(r, out, options);
}

std::string refusal_held(const FakeFileSystem& fake) {
  rootfs::Rootfs r;
  rootfs::HoldBudget budget;
  try {
    rootfs::add_user_files(r, tree_spec("/src/tree"), nullptr, &budget, fake);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("the tree was accepted");
  return "";
}

}  // namespace

TEST_CASE("rootfs: small tree files are held within the budget, and the layer is the same either way") {
  util::TempDir tmp{"held"};
  fs::path src = tmp.path() / "t";
  put(src, "a.txt", "alpha\n");
  put(src, "b/c.txt", "charlie\n");
  put(src, "big.bin", std::string(70 * 1024, 'x'));  // over file_max: read by the layer
  put(src, "empty", "");
  // Enough files that the reads run on several threads where there are cores.
  for (int i = 0; i < 150; ++i) put(src, "many/f" + std::to_string(1000 + i), "file " + std::to_string(i) + "\n");

  rootfs::Rootfs held;
  rootfs::HoldBudget budget;
  const std::size_t before = budget.left;
  rootfs::add_user_files(held, tree_spec(src), nullptr, &budget);
  const rootfs::Entry* a = held.find("/data/a.txt");
  REQUIRE(a);
  CHECK(a->held);
  CHECK(a->content == "alpha\n");
  CHECK(rootfs::bytes_in_memory(*a));
  CHECK(held.find("/data/b/c.txt")->content == "charlie\n");
  CHECK(held.find("/data/many/f1149")->content == "file 149\n");
  CHECK(held.find("/data/empty")->held);
  const rootfs::Entry* big = held.find("/data/big.bin");
  REQUIRE(big);
  CHECK_FALSE(big->held);
  CHECK(big->content.empty());
  CHECK_FALSE(rootfs::bytes_in_memory(*big));
  std::size_t small_bytes = 6 + 8;
  for (int i = 0; i < 150; ++i) small_bytes += ("file " + std::to_string(i) + "\n").size();
  CHECK(before - budget.left == small_bytes);

  rootfs::Rootfs plain;
  rootfs::add_user_files(plain, tree_spec(src));
  CHECK_FALSE(plain.find("/data/a.txt")->held);
  auto with = layer_of(held, tmp.path() / "held.tgz");
  auto without = layer_of(plain, tmp.path() / "plain.tgz");
  CHECK(with.digest == without.digest);
  CHECK(with.diff_id == without.diff_id);
  CHECK(with.file_sha256 == without.file_sha256);
}

TEST_CASE("rootfs: the hold budget runs out in walk order, the same files every time") {
  util::TempDir tmp{"held-budget"};
  fs::path src = tmp.path() / "t";
  put(src, "1.txt", "12345");
  put(src, "2.txt", "12345");
  put(src, "3.txt", "123");
  for (int run = 0; run < 2; ++run) {
    rootfs::Rootfs r;
    rootfs::HoldBudget budget{64 << 10, 8};
    rootfs::add_user_files(r, tree_spec(src), nullptr, &budget);
    CHECK(r.find("/data/1.txt")->held);
    CHECK_FALSE(r.find("/data/2.txt")->held);  // 5 bytes do not fit in the 3 left
    CHECK(r.find("/data/3.txt")->held);        // 3 do
    CHECK(budget.left == 0);
  }
}

TEST_CASE("rootfs: what the walk held is what ships, even if the file changes later") {
  util::TempDir tmp{"held-ships"};
  fs::path src = tmp.path() / "t";
  put(src, "app.conf", "mode=safe\n");
  rootfs::Rootfs r;
  rootfs::HoldBudget budget;
  rootfs::add_user_files(r, tree_spec(src), nullptr, &budget);
  auto before = layer_of(r, tmp.path() / "before.tgz");
  put(src, "app.conf", "mode=evil\n");  // same size: only the bytes differ
  auto after = layer_of(r, tmp.path() / "after.tgz");
  CHECK(after.digest == before.digest);
  CHECK(after.file_sha256.at("/data/app.conf") == util::sha256_hex("mode=safe\n"));
}

TEST_CASE("rootfs: a held private key is still refused, naming the file") {
  util::TempDir tmp{"held-secret"};
  fs::path src = tmp.path() / "t";
  put(src, "ok.txt", "fine\n");
  put(src, "certs/server.pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
  rootfs::Rootfs r;
  rootfs::HoldBudget budget;
  try {
    rootfs::add_user_files(r, tree_spec(src), nullptr, &budget);
    FAIL("the key was accepted");
  } catch (const Error& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("certs/server.pem") && Catch::Contains("private key"));
  }
}

TEST_CASE("rootfs (fake fs): a held file is opened once beneath the root and read there") {
  FakeFileSystem fake;
  fake.add_file("/src/tree/a.txt", "a");
  fake.add_file("/src/tree/sub/b.txt", "bee");
  rootfs::Rootfs r;
  rootfs::HoldBudget budget;
  rootfs::add_user_files(r, tree_spec("/src/tree"), nullptr, &budget, fake);
  CHECK(r.find("/data/sub/b.txt")->content == "bee");
  for (const char* f : {"/src/tree/a.txt", "/src/tree/sub/b.txt"}) {
    INFO(f);
    CHECK(fake.calls(fake_fs::kOpenBeneath, f) == 1);
    CHECK(fake.calls(fake_fs::kOpen, f) == 0);
  }
}

TEST_CASE("rootfs (fake fs): a held file replaced at its read fails the build, first in walk order") {
  FakeFileSystem fake;
  fake.add_file("/src/tree/a.txt", "a");
  fake.add_file("/src/tree/m.txt", "m");
  fake.add_file("/src/tree/z.txt", "z");
  fake.before_open = [&](const fs::path& p) {
    // Another file of the same size, then one that grew: both are refused.
    if (p == "/src/tree/m.txt") fake.add_file("/src/tree/m.txt", "M");
    if (p == "/src/tree/z.txt") fake.add_file("/src/tree/z.txt", "zz");
  };
  std::string err = refusal_held(fake);
  CHECK_THAT(err, Catch::Contains("/src/tree/m.txt changed between the check and the read (it is another file now"));
  CHECK_THAT(err, !Catch::Contains("z.txt"));
}
