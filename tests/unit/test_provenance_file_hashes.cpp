// provenance/file_hashes: the SBOMs' SHA-256 of each file is taken from its
// bytes in memory or from the file opened the way the layer opens it (never
// through a link out of its tree, never a different file than the walk saw),
// and a disagreement with the layer's hashes names the file.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <slimbuild/provenance/file_hashes.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
namespace prov = slimbuild::provenance;

namespace {

Entry tree_file(const std::string& path, const fs::path& root, const std::string& relative) {
  Entry e = file_from(path, root / relative);
  e.source_root = std::make_shared<const fs::path>(root);
  struct stat st {};
  REQUIRE(::lstat(e.source.c_str(), &st) == 0);
  e.identity = slimbuild::util::FileIdentity::of(st);
  return e;
}

}  // namespace

TEST_CASE("file hashes: generated, held and on-disk files hash to their bytes") {
  slimbuild::util::TempDir tmp("hashes-test");
  write_text(tmp.path() / "tree/bin/app", "application bytes");
  write_text(tmp.path() / "tree/etc/held", "held bytes");
  Rootfs r;
  r.add(generated("/etc/passwd", "root:x:0:0::/:/nonexistent\n"));
  r.add(tree_file("/bin/app", tmp.path() / "tree", "bin/app"));
  Entry held = tree_file("/etc/held", tmp.path() / "tree", "etc/held");
  held.content = "held bytes";
  held.held = true;
  r.add(held);
  r.add(dir("/var"));

  prov::FileHashes hashes = prov::hash_files(r);
  CHECK(hashes.size() == 3);  // regular files only
  CHECK(hashes.at("/etc/passwd") == slimbuild::util::sha256_hex("root:x:0:0::/:/nonexistent\n"));
  CHECK(hashes.at("/bin/app") == slimbuild::util::sha256_hex("application bytes"));
  // A held file is hashed from what the walk read, so later edits on disk do not show.
  write_text(tmp.path() / "tree/etc/held", "edited afterwards");
  CHECK(prov::entry_sha256(r.entries().at("/etc/held")) == slimbuild::util::sha256_hex("held bytes"));
}

TEST_CASE("file hashes: a file swapped or turned into a link after the walk is refused, not hashed") {
  slimbuild::util::TempDir tmp("hashes-test");
  fs::path root = tmp.path() / "tree";
  write_text(root / "app", "application bytes");
  write_text(tmp.path() / "secret", "outside the tree");
  Entry e = tree_file("/app", root, "app");

  SECTION("replaced by another file") {
    fs::remove(root / "app");
    write_text(root / "app", "application bytes");  // same bytes, another inode
    CHECK_THROWS_WITH(prov::entry_sha256(e), Catch::Contains(e.source.string()));
  }
  SECTION("replaced by a symlink leaving the tree") {
    fs::remove(root / "app");
    fs::create_symlink(tmp.path() / "secret", root / "app");
    CHECK_THROWS_AS(prov::entry_sha256(e), slimbuild::Error);
  }
}

TEST_CASE("file hashes: the SBOMs are hashed beside the layer only when little is on disk") {
  slimbuild::util::TempDir tmp("hashes-test");
  write_text(tmp.path() / "small", std::string(4096, 's'));
  Rootfs r;
  r.add(file_from("/small", tmp.path() / "small"));
  CHECK(prov::worth_hashing_beside_layer(r));
  // The sizes the walk recorded decide; a file held in memory does not count.
  Entry big = file_from("/big", tmp.path() / "small");
  big.size = prov::kHashBesideLayerMax;
  r.add(big);
  CHECK_FALSE(prov::worth_hashing_beside_layer(r));
  Rootfs held_only;
  Entry held = big;
  held.held = true;
  held.content = std::string(16, 'h');
  held_only.add(held);
  CHECK(prov::worth_hashing_beside_layer(held_only));
}

TEST_CASE("file hashes: the SBOM's and the layer's hashes must agree, file by file") {
  prov::FileHashes sbom{{"/bin/app", "aa"}, {"/etc/passwd", "bb"}};
  prov::FileHashes layer{{"/bin/app", "aa"}, {"/etc/passwd", "bb"}};
  CHECK_NOTHROW(prov::check_same_hashes(sbom, layer));
  layer["/etc/passwd"] = "cc";
  try {
    prov::check_same_hashes(sbom, layer);
    FAIL("a changed file passed");
  } catch (const slimbuild::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("/etc/passwd") && Catch::Contains("changed"));
    CHECK_THAT(e.hint(), Catch::Contains("run it again"));
  }
}

TEST_CASE("file hashes: files of two trees, interleaved in path order, are each read beneath their own root") {
  // SourceOpener holds the last tree root open; entries from another tree
  // (and a second root object naming the same directory) must not be read
  // beneath the wrong one.
  slimbuild::util::TempDir tmp("hashes-test");
  write_text(tmp.path() / "one/a", "one a");
  write_text(tmp.path() / "one/c", "one c");
  write_text(tmp.path() / "two/a", "two a");
  Rootfs r;
  r.add(tree_file("/a1", tmp.path() / "one", "a"));
  r.add(tree_file("/a2", tmp.path() / "two", "a"));
  r.add(tree_file("/a3", tmp.path() / "one", "c"));  // a new root object, same directory as /a1's
  prov::FileHashes hashes = prov::hash_files(r);
  CHECK(hashes.at("/a1") == slimbuild::util::sha256_hex("one a"));
  CHECK(hashes.at("/a2") == slimbuild::util::sha256_hex("two a"));
  CHECK(hashes.at("/a3") == slimbuild::util::sha256_hex("one c"));
}
