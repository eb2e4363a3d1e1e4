// `slimbuild build` as users call it: digest as the last stdout line, --json
// as one document, the default output directory, usage errors before work.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/process.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs_test::put;
namespace fs = std::filesystem;

namespace {
fs::path static_project(const fs::path& dir, const std::string& extra = "") {
  put(dir, "slimbuild.yml", "name: tiny\nbinary: {path: /usr/bin/true, dest: /app/true}\nuser: {uid: 65532}\n" + extra);
  return dir / "slimbuild.yml";
}
util::ProcessResult slimbuild_cli(std::vector<std::string> args, const fs::path& cwd) {
  args.insert(args.begin(), SLIMBUILD_BINARY);
  util::ProcessOptions po;
  po.cwd = cwd.string();
  po.env_set["SOURCE_DATE_EPOCH"] = "0";
  return util::run_process(args, po);
}
}  // namespace

TEST_CASE("build: CLI prints the digest last, defaults -o to ./out/<name>, and --json prints one document") {
  util::TempDir tmp{"build-cli"};
  fs::path manifest = static_project(tmp.path() / "p");
  auto r = slimbuild_cli({"build", manifest.string()}, tmp.path());
  INFO(r.err);
  REQUIRE(r.ok());
  REQUIRE(!r.out.empty());
  std::string digest = r.out.substr(0, r.out.size() - 1);
  digest = digest.substr(digest.find_last_of('\n') == std::string::npos ? 0 : digest.find_last_of('\n') + 1);
  CHECK(util::is_sha256_digest(digest));
  CHECK(image::LayoutReader(tmp.path() / "out/tiny").find_image("latest").digest == digest);
  CHECK_THAT(r.err, Catch::Contains("files"));  // the human summary goes to stderr

  auto js = slimbuild_cli({manifest.string(), "-o", (tmp.path() / "j").string(), "--json"}, tmp.path());
  INFO(js.err);
  REQUIRE(js.ok());
  nlohmann::json doc = nlohmann::json::parse(js.out);  // the whole stdout is one JSON document
  CHECK(doc["digest"] == digest);
  CHECK(doc["ref_name"] == "latest");
  CHECK(util::is_sha256_digest(doc["layer_digest"].get<std::string>()));
  CHECK(doc["file_count"].get<int>() >= 4);
}

TEST_CASE("build: --push without a destination and bad flags are usage errors before any work") {
  util::TempDir tmp{"build-cli-usage"};
  fs::path manifest = static_project(tmp.path() / "p");
  auto r = slimbuild_cli({"build", manifest.string(), "-o", (tmp.path() / "o").string(), "--push"}, tmp.path());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--tag") && Catch::Contains("image:"));
  CHECK_FALSE(fs::exists(tmp.path() / "o"));

  auto f = slimbuild_cli({"build", manifest.string(), "--format", "zip"}, tmp.path());
  CHECK(f.exit_code == 2);
  auto e = slimbuild_cli({"build", manifest.string(), "--source-date-epoch", "-5"}, tmp.path());
  CHECK(e.exit_code == 2);
  CHECK_FALSE(fs::exists(tmp.path() / "out"));
}

TEST_CASE("build: --source-date-epoch sets created and every layer mtime") {
  util::TempDir tmp{"build-cli-epoch"};
  fs::path manifest = static_project(tmp.path() / "p");
  auto a = slimbuild_cli({"build", manifest.string(), "-o", (tmp.path() / "a").string(), "--source-date-epoch",
                          "1700000000"}, tmp.path());
  INFO(a.err);
  REQUIRE(a.ok());
  image::LayoutReader layout(tmp.path() / "a");
  auto m = layout.read_json_blob(layout.find_image());
  auto config = layout.read_json_blob(image::Descriptor::from_json(m["config"]));
  CHECK(config["created"] == "2023-11-14T22:13:20Z");
  CHECK(config["config"]["Labels"]["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z");
  auto b = slimbuild_cli({"build", manifest.string(), "-o", (tmp.path() / "b").string()}, tmp.path());
  REQUIRE(b.ok());
  CHECK(a.out != b.out);  // SOURCE_DATE_EPOCH=0 in the environment gives another image
}
