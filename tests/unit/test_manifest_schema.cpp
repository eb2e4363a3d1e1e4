// docs/manifest.schema.json (for editors) must offer exactly the keys the
// loader accepts, at every level, or it would suggest keys slimbuild then
// refuses, or hide ones it supports.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include <slimbuild/util/fs.hpp>

#include "manifest/keys.hpp"

namespace {

std::set<std::string> property_names(const nlohmann::json& object_schema) {
  std::set<std::string> names;
  for (const auto& [name, _] : object_schema.at("properties").items()) names.insert(name);
  return names;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST_CASE("manifest: the editor schema lists exactly the keys the loader accepts") {
  namespace keys = slimbuild::manifest::keys;
  auto schema = nlohmann::json::parse(
      slimbuild::util::read_file(std::filesystem::path(SLIMBUILD_SOURCE_DIR) / "docs/manifest.schema.json"));
  CHECK(property_names(schema) == as_set(keys::kTopLevel));
  CHECK(schema.at("additionalProperties") == false);
  CHECK(schema.at("required") == nlohmann::json{"name", "user"});
  // Exactly one of binary: and platforms:.
  CHECK(schema.at("oneOf").at(0).at("required") == nlohmann::json{"binary"});
  CHECK(schema.at("oneOf").at(1).at("required") == nlohmann::json{"platforms"});

  const auto& props = schema.at("properties");
  const auto& binary = props.at("binary").at("oneOf").at(1);
  CHECK(property_names(binary) == as_set(keys::kBinary));
  CHECK(binary.at("additionalProperties") == false);
  const auto& file = props.at("files").at("items");
  CHECK(property_names(file) == as_set(keys::kFile));
  CHECK(file.at("additionalProperties") == false);
  CHECK(file.at("required") == nlohmann::json{"src", "dest"});
  const auto& user = props.at("user");
  CHECK(property_names(user) == as_set(keys::kUser));
  CHECK(user.at("required") == nlohmann::json{"uid"});
  const auto& compression = props.at("compression").at("oneOf").at(1);
  CHECK(property_names(compression) == as_set(keys::kCompression));
  const auto& platform = props.at("platforms").at("items");
  CHECK(property_names(platform) == as_set(keys::kPlatform));
  CHECK(platform.at("additionalProperties") == false);
  CHECK(platform.at("required") == nlohmann::json{"platform", "binary"});
}
