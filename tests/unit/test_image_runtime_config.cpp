// StopSignal and Volumes in the image config: written in image-spec's shape
// (a string; an object of empty objects, keys in bytewise order), and left
// out entirely when the manifest does not ask, so older images keep their
// digests.
#include <catch2/catch.hpp>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/util/json.hpp>

using namespace slimbuild::image;
using nlohmann::json;

namespace {

const std::string kDiff = "sha256:" + std::string(64, 'd');

ImageConfigSpec spec() {
  ImageConfigSpec s;
  s.architecture = "amd64";
  s.user = "65532:65532";
  s.created = 1700000000;
  return s;
}

}  // namespace

TEST_CASE("image: StopSignal and Volumes appear in the config only when set") {
  ImageConfigSpec s = spec();
  json plain = image_config_json(s, {kDiff});
  CHECK_FALSE(plain["config"].contains("StopSignal"));
  CHECK_FALSE(plain["config"].contains("Volumes"));

  s.stop_signal = "SIGINT";
  s.volumes = {"/var/lib/app", "/data"};
  json j = image_config_json(s, {kDiff});
  CHECK(j["config"]["StopSignal"] == "SIGINT");
  CHECK(j["config"]["Volumes"] == json{{"/data", json::object()}, {"/var/lib/app", json::object()}});
  CHECK_THAT(slimbuild::util::canonical_json(j),
             Catch::Contains(R"("StopSignal":"SIGINT","User":"65532:65532","Volumes":{"/data":{},"/var/lib/app":{}})"));
}
