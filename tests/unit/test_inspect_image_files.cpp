// Reading layers into an ImageFiles map: OCI whiteouts across layers, a
// directory replaced by a file, digest checking, and names that try to climb
// out (kept as inert map keys, never touching the disk).
#include <catch2/catch.hpp>

#include <fstream>

#include <slimbuild/inspect/image_files.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/inspect_fixture.hpp"

using namespace slimbuild;
namespace fx = inspect_fixture;
namespace fs = std::filesystem;

namespace {
struct Blob {
  fs::path path;
  std::string digest;
};
Blob write_blob(const fs::path& dir, const std::string& name, const std::vector<fx::Item>& items) {
  std::string bytes = fx::make_tar(items, true);
  fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return {p, util::sha256_digest(bytes)};
}
}  // namespace

TEST_CASE("inspect: layers apply in order with OCI whiteouts and opaque directories") {
  util::TempDir tmp{"prov-files"};
  auto lower = write_blob(tmp.path(), "l1", {{"etc", 'd', 0755, ""},
                                             {"etc/a", 'f', 0644, "a"},
                                             {"etc/b", 'f', 0644, "b"},
                                             {"var", 'd', 0755, ""},
                                             {"var/cache", 'd', 0755, ""},
                                             {"var/cache/x", 'f', 0644, "x"},
                                             {"opt", 'd', 0755, ""},
                                             {"opt/old", 'f', 0644, "old"},
                                             {"data", 'd', 0755, ""},
                                             {"data/inner", 'f', 0644, "in"}});
  auto upper = write_blob(tmp.path(), "l2", {{"etc/.wh.a", 'f', 0644, ""},
                                             {"var/.wh.cache", 'f', 0644, ""},
                                             {"opt/.wh..wh..opq", 'f', 0644, ""},
                                             {"opt/new", 'f', 0600, "new"},
                                             {"data", 'f', 0644, "now a file"}});
  inspect::ImageFiles files;
  inspect::apply_layer(lower.path, lower.digest, files);
  inspect::apply_layer(upper.path, upper.digest, files);
  CHECK_FALSE(files.count("/etc/a"));
  CHECK(files.count("/etc/b"));
  CHECK_FALSE(files.count("/var/cache"));
  CHECK_FALSE(files.count("/var/cache/x"));
  CHECK(files.count("/var"));
  CHECK(files.count("/opt"));  // an opaque directory keeps itself
  CHECK_FALSE(files.count("/opt/old"));
  REQUIRE(files.count("/opt/new"));
  CHECK(files["/opt/new"].mode == 0600);
  CHECK(files["/opt/new"].sha256 == util::sha256_hex("new"));
  CHECK(files["/data"].type == inspect::FileType::File);
  CHECK_FALSE(files.count("/data/inner"));
  for (const auto& [path, f] : files) CHECK(path.find(".wh.") == std::string::npos);
}

TEST_CASE("inspect: apply_layer checks the blob digest and keeps hostile names inert") {
  util::TempDir tmp{"prov-files"};
  auto blob = write_blob(tmp.path(), "l", {{"../../escape", 'f', 0644, "x"}, {"ok", 'f', 0644, "y"}});
  inspect::ImageFiles files;
  CHECK_THROWS_WITH(inspect::apply_layer(blob.path, "sha256:" + std::string(64, '0'), files),
                    Catch::Contains("does not match its digest"));
  files.clear();
  inspect::apply_layer(blob.path, blob.digest, files);
  CHECK(files.count("/ok"));
  CHECK_FALSE(fs::exists(tmp.path().parent_path() / "escape"));
  // Not a tar at all.
  std::ofstream(tmp.path() / "junk", std::ios::binary) << std::string(1000, '\x42');
  CHECK_THROWS_AS(inspect::apply_layer(tmp.path() / "junk", blob.digest, files), Error);
  CHECK_THROWS_AS(inspect::apply_layer(tmp.path() / "missing", blob.digest, files), Error);
}
