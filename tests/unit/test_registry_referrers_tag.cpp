// Referrers tag schema naming and the descriptors it lists.
#include <catch2/catch.hpp>

#include "registry/referrers_tag.hpp"

using namespace slimbuild::registry;

TEST_CASE("registry: referrers tag and descriptor follow OCI distribution 1.1") {
  const std::string subject = "sha256:" + std::string(64, 'a');
  CHECK(referrers_tag(subject) == "sha256-" + std::string(64, 'a'));

  nlohmann::json artifact = nlohmann::json::parse(R"({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "artifactType": "application/spdx+json",
    "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:x", "size": 2},
    "annotations": {"org.example": "v"}})");
  auto d = referrer_descriptor(artifact, "sha256:" + std::string(64, 'b'), 123);
  CHECK(d["artifactType"] == "application/spdx+json");
  CHECK(d["size"] == 123);
  CHECK(d["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
  CHECK(d["annotations"]["org.example"] == "v");

  // Without artifactType, the config media type stands in (as the spec says).
  artifact.erase("artifactType");
  artifact.erase("annotations");
  auto e = referrer_descriptor(artifact, "sha256:" + std::string(64, 'b'), 1);
  CHECK(e["artifactType"] == "application/vnd.oci.empty.v1+json");
  CHECK_FALSE(e.contains("annotations"));
}
