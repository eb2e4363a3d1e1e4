// pull_to_layout and resolve_digest against a live registry. Hidden ([.live]):
// it is run by tests/integration/test_push_plain.sh, which starts the
// registry, pushes an image and passes its address and digest here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/registry/pull.hpp>

using namespace slimbuild;

TEST_CASE("registry: live pull_to_layout", "[.live]") {
  const char* addr = std::getenv("SLIMBUILD_TEST_REGISTRY");
  const char* dir = std::getenv("SLIMBUILD_TEST_PULL_DIR");
  const char* digest = std::getenv("SLIMBUILD_TEST_DIGEST");
  REQUIRE(addr);
  REQUIRE(dir);
  REQUIRE(digest);
  registry::RegistryOptions o;
  o.insecure_registry = true;
  const char* repo = std::getenv("SLIMBUILD_TEST_REPO");  // default: the image test_push_plain pushed
  const std::string ref = std::string(addr) + "/" + (repo ? repo : "team/app:1.0");
  const std::string tag = ref.substr(ref.rfind(':') + 1);
  if (!repo) CHECK(registry::resolve_digest(ref, o) == digest);  // for an index, that is the index's digest

  auto r = registry::pull_to_layout(ref, dir, o);
  CHECK(r.manifest_digest == digest);
  image::LayoutReader layout(dir);
  auto top = layout.find_entry(tag);
  CHECK(top.digest == digest);
  // An OCI index comes whole: every platform's image with all its blobs.
  std::vector<std::string> images;
  for (const auto& img : layout.platform_images(top)) {
    images.push_back(img.digest);
    auto manifest = layout.read_json_blob(img);
    CHECK(layout.has_blob(manifest["config"]["digest"].get<std::string>()));
    for (const auto& l : manifest["layers"]) CHECK(layout.has_blob(l["digest"].get<std::string>()));
  }
  if (const char* platform_digest = std::getenv("SLIMBUILD_TEST_PLATFORM_DIGEST")) {
    CHECK(top.media_type == image::kMediaTypeIndex);
    CHECK(images.size() >= 2);
    CHECK(std::find(images.begin(), images.end(), platform_digest) != images.end());
  } else {
    CHECK(images == std::vector<std::string>{digest});
  }

  // A digest the registry does not have is an error, and nothing is left behind.
  const std::string missing = std::string(addr) + "/team/app@sha256:" + std::string(64, '0');
  const std::string dir2 = std::string(dir) + "-missing";
  CHECK_THROWS_WITH(registry::pull_to_layout(missing, dir2, o), Catch::Contains("HTTP 404"));
  CHECK_FALSE(std::filesystem::exists(dir2));
}
