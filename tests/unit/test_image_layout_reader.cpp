// LayoutReader against damaged and hostile layouts: every digest is checked
// before it becomes a path, blobs are verified, and oversized or swapped
// files are refused before they are read.
#include <catch2/catch.hpp>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/image/layout_writer.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using namespace slimbuild::image;
using nlohmann::json;

namespace {

Descriptor write_sample(const fs::path& out) {
  LayoutWriter w(out);
  Rootfs r;
  r.add(generated("/x", "x"));
  ImageConfigSpec s;
  s.architecture = "amd64";
  auto d = w.add_image(s, w.put_layer(r, {}), {}, "latest");
  w.commit();
  return d;
}

}  // namespace

TEST_CASE("image: LayoutReader refuses what is not a layout") {
  slimbuild::util::TempDir tmp("image-test");
  CHECK_THROWS_WITH(LayoutReader(tmp.path()), Catch::Contains("is not an OCI image layout"));
  write_text(tmp.path() / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  write_text(tmp.path() / "index.json", "{not json");
  CHECK_THROWS_WITH(LayoutReader(tmp.path()), Catch::Contains("index.json is not valid JSON"));
  write_text(tmp.path() / "index.json", R"({"schemaVersion":2})");
  CHECK_THROWS_WITH(LayoutReader(tmp.path()), Catch::Contains("no \"manifests\" array"));
  fs::resize_file(tmp.path() / "index.json", 64u << 20);  // sparse; must not be read
  CHECK_THROWS_WITH(LayoutReader(tmp.path()), Catch::Contains("too large"));
}

TEST_CASE("image: LayoutReader checks digests before they become paths") {
  slimbuild::util::TempDir tmp("image-test");
  write_sample(tmp.path() / "out");
  json index = json::parse(slimbuild::util::read_file(tmp.path() / "out/index.json"));
  index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd";
  write_text(tmp.path() / "out/index.json", index.dump());
  LayoutReader reader(tmp.path() / "out");
  CHECK_THROWS_WITH(reader.manifests(), Catch::Contains("invalid digest"));
  CHECK_THROWS_WITH(reader.blob_path("sha256:../x"), Catch::Contains("invalid digest"));
  CHECK_FALSE(reader.has_blob("sha256:../../index.json"));
}

TEST_CASE("image: LayoutReader verifies blobs and refuses swapped ones unread") {
  slimbuild::util::TempDir tmp("image-test");
  fs::path out = tmp.path() / "out";
  Descriptor d = write_sample(out);
  LayoutReader reader(out);
  fs::path blob = reader.blob_path(d.digest);
  std::string good = slimbuild::util::read_file(blob);
  CHECK(reader.read_blob(d) == good);

  SECTION("same size, different bytes") {
    std::string bad = good;
    bad[bad.size() / 2] ^= 1;
    write_text(blob, bad);
    CHECK_THROWS_WITH(reader.read_blob(d), Catch::Contains("does not match its digest"));
  }
  SECTION("a different size") {
    fs::resize_file(blob, 1u << 30);  // sparse: a read would cost 1 GiB of memory
    CHECK_THROWS_WITH(reader.read_blob(d), Catch::Contains("bytes, its descriptor says " + std::to_string(d.size)));
  }
  SECTION("a symlink out of the layout") {
    fs::remove(blob);
    fs::create_symlink("/etc/hostname", blob);
    CHECK_THROWS_WITH(reader.read_blob(d), Catch::Contains("not a regular file"));
  }
  SECTION("missing") {
    fs::remove(blob);
    CHECK_THROWS_WITH(reader.read_blob(d), Catch::Contains("missing"));
  }
  SECTION("a descriptor claiming a huge JSON document") {
    Descriptor huge = d;
    huge.size = 1ull << 40;
    CHECK_THROWS_WITH(reader.read_blob(huge), Catch::Contains("too large"));
  }
}
