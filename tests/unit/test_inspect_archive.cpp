// oci-archive and docker-archive: byte-reproducible, atomic, and converted
// back into a layout that compares equal to the source. That the real peers
// (skopeo, umoci, podman) read them is tests/peers/test_inspect_archive_peers.cpp.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <fstream>

#include <slimbuild/image/archive.hpp>
#include <slimbuild/inspect/diff.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/inspect_fixture.hpp"

using namespace slimbuild;
namespace fx = inspect_fixture;
namespace fs = std::filesystem;

namespace {

bool leftovers(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("inspect: archives are byte-identical across runs and round-trip to an equal layout") {
  util::TempDir tmp{"prov-archive"};
  fs::path layout = tmp.path() / "layout";
  std::string digest = fx::write_layout(layout, fx::hello_image());

  image::write_oci_archive(layout, tmp.path() / "a1.tar", 1700000000);
  image::write_oci_archive(layout, tmp.path() / "a2.tar", 1700000000);
  image::write_docker_archive(layout, "latest", {"hello:1.0"}, tmp.path() / "d1.tar", 1700000000);
  image::write_docker_archive(layout, "latest", {"hello:1.0"}, tmp.path() / "d2.tar", 1700000000);
  CHECK(util::sha256_file_hex(tmp.path() / "a1.tar") == util::sha256_file_hex(tmp.path() / "a2.tar"));
  CHECK(util::sha256_file_hex(tmp.path() / "d1.tar") == util::sha256_file_hex(tmp.path() / "d2.tar"));
  // A different epoch is a different archive (the mtime is really applied).
  image::write_oci_archive(layout, tmp.path() / "a3.tar", 0);
  CHECK(util::sha256_file_hex(tmp.path() / "a1.tar") != util::sha256_file_hex(tmp.path() / "a3.tar"));
  CHECK((fs::status(tmp.path() / "a1.tar").permissions() & fs::perms::all) == static_cast<fs::perms>(0644));
  CHECK_FALSE(leftovers(tmp.path()));

  image::archive_to_layout(tmp.path() / "a1.tar", tmp.path() / "from-oci");
  auto oci = inspect::compare_layouts(layout, "", tmp.path() / "from-oci", "latest");
  CHECK(oci.identical);
  CHECK(oci.digest_b == digest);

  image::archive_to_layout(tmp.path() / "d1.tar", tmp.path() / "from-docker");
  auto strict = inspect::compare_layouts(layout, "", tmp.path() / "from-docker", "1.0");
  CHECK_FALSE(strict.identical);  // the docker format keeps no manifest annotations
  CHECK(inspect::compare_layouts(layout, "", tmp.path() / "from-docker", "1.0", {.content_only = true}).identical);
}

TEST_CASE("inspect: archive errors leave nothing behind and hostile archives are refused") {
  util::TempDir tmp{"prov-archive"};
  CHECK_THROWS_AS(image::write_oci_archive(tmp.path() / "missing", tmp.path() / "out.tar", 0), Error);
  CHECK_FALSE(fs::exists(tmp.path() / "out.tar"));
  CHECK_FALSE(leftovers(tmp.path()));

  // Not a tar at all.
  { std::ofstream(tmp.path() / "junk.tar") << "this is not a tar archive"; }
  CHECK_THROWS_AS(image::archive_to_layout(tmp.path() / "junk.tar", tmp.path() / "out1"), Error);
  CHECK_FALSE(fs::exists(tmp.path() / "out1"));

  // A referenced blob whose content does not match its name.
  std::string tar = fx::make_tar({{"oci-layout", 'f', 0644, "{}"},
                                  {"index.json", 'f', 0644,
                                   R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
                                       std::string(64, 'a') + R"(","size":8}]})"},
                                  {"blobs/sha256/" + std::string(64, 'a'), 'f', 0644, "not that"}},
                                 false);
  { std::ofstream(tmp.path() / "bad.tar", std::ios::binary) << tar; }
  CHECK_THROWS_WITH(image::archive_to_layout(tmp.path() / "bad.tar", tmp.path() / "out2"),
                    Catch::Contains("does not match its digest"));
  CHECK_FALSE(fs::exists(tmp.path() / "out2"));

  // Members that try to climb out are never written anywhere.
  tar = fx::make_tar({{"../../escape", 'f', 0644, "x"}, {"manifest.json", 'f', 0644, "[]"}}, false);
  { std::ofstream(tmp.path() / "evil.tar", std::ios::binary) << tar; }
  CHECK_THROWS_AS(image::archive_to_layout(tmp.path() / "evil.tar", tmp.path() / "sub" / "out3"), Error);
  CHECK_FALSE(fs::exists(tmp.path() / "escape"));
  CHECK_FALSE(fs::exists(tmp.path().parent_path() / "escape"));
}
