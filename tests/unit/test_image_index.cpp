// Image indexes in a layout: put_image (unlisted, with its platform) and
// add_index write canonical, reproducible bytes; the reader finds the index
// by tag, lists its platform images, and refuses to treat it as one image.
#include <catch2/catch.hpp>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using namespace slimbuild::image;
using nlohmann::json;

namespace {

ImageConfigSpec spec(const std::string& arch, const std::string& variant) {
  ImageConfigSpec s;
  s.architecture = arch;
  s.variant = variant;
  s.user = "1:1";
  s.entrypoint = {"/app/x"};
  return s;
}

// A two-platform layout tagged 1.0; returns the index descriptor.
Descriptor write_index(const fs::path& dir) {
  LayoutWriter w(dir);
  Rootfs r;
  r.add(generated("/x", "x"));
  auto layer = w.put_layer(r, {});
  Descriptor amd = w.put_image(spec("amd64", ""), layer, {}).manifest;
  Descriptor arm = w.put_image(spec("arm64", "v8"), layer, {}).manifest;
  Descriptor index = w.add_index({amd, arm}, {{"org.opencontainers.image.title", "x"}}, "1.0");
  w.commit();
  return index;
}

}  // namespace

TEST_CASE("image index: written canonically, named by the tag, reproducible") {
  slimbuild::util::TempDir tmp("index-test");
  Descriptor index = write_index(tmp.path() / "a");
  CHECK(write_index(tmp.path() / "b").digest == index.digest);
  CHECK(index.media_type == kMediaTypeIndex);

  LayoutReader reader(tmp.path() / "a");
  REQUIRE(reader.manifests().size() == 1);  // only the index is listed
  Descriptor top = reader.find_entry(std::string("1.0"));
  CHECK(top.digest == index.digest);
  std::string bytes = reader.read_blob(top);
  CHECK(bytes == json::parse(bytes).dump());  // canonical: no whitespace
  json doc = json::parse(bytes);
  CHECK(doc["mediaType"] == kMediaTypeIndex);
  CHECK(doc["annotations"]["org.opencontainers.image.title"] == "x");

  auto images = reader.platform_images(top);
  REQUIRE(images.size() == 2);
  CHECK(platform_name(images[0].platform) == "linux/amd64");
  CHECK(platform_name(images[1].platform) == "linux/arm64/v8");
  Descriptor config = Descriptor::from_json(reader.read_json_blob(images[1]).at("config"));
  CHECK(reader.read_json_blob(config).at("variant") == "v8");
  CHECK_THROWS_WITH(reader.find_image(std::string("1.0")),
                    Catch::Contains("is a multi-platform image index (linux/amd64, linux/arm64/v8)"));
}

TEST_CASE("image index: platform names match with or without a variant") {
  json arm64{{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}};
  json armv7{{"os", "linux"}, {"architecture", "arm"}, {"variant", "v7"}};
  CHECK(platform_matches(arm64, "linux/arm64"));
  CHECK(platform_matches(arm64, "linux/arm64/v8"));
  CHECK_FALSE(platform_matches(arm64, "linux/arm64/v9"));
  CHECK_FALSE(platform_matches(armv7, "linux/arm64"));
  CHECK_FALSE(platform_matches(armv7, "linux/arm/v6"));
  CHECK(platform_matches(armv7, "linux/arm"));
  CHECK(platform_name(json()) == "");
}
