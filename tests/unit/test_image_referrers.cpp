// LayoutReader::referrers, the one way slimbuild finds an image's referrers
// in a layout: unlisted manifests among the blobs (what LayoutWriter and
// append_referrer now write), entries of index.json (older slimbuild
// layouts, oras), each once, sorted by digest, and every blob that is not a
// referrer of the subject (links, fifos, huge files, non-JSON, indexes,
// other subjects, blobs that do not match their name) skipped, not thrown on.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/image/layout.hpp>
#include <slimbuild/image/layout_append.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using namespace slimbuild::image;
using nlohmann::json;

namespace {

constexpr const char* kSpdx = "application/spdx+json";
constexpr const char* kCdx = "application/vnd.cyclonedx+json";

struct Sample {
  fs::path dir;
  Descriptor image;
  Descriptor spdx, cdx;
};

// A layout as `slimbuild build` writes it: one image, two SBOM referrers.
Sample write_sample(const fs::path& dir) {
  LayoutWriter w(dir);
  Rootfs r;
  r.add(generated("/x", "x"));
  ImageConfigSpec s;
  s.architecture = "amd64";
  Sample out{dir, w.add_image(s, w.put_layer(r, {}), {}, "latest"), {}, {}};
  out.spdx = w.add_referrer(out.image, kSpdx, R"({"spdxVersion":"SPDX-2.3"})", kSpdx,
                            {{"org.opencontainers.image.created", "1970-01-01T00:00:00Z"}});
  out.cdx = w.add_referrer(out.image, kCdx, R"({"bomFormat":"CycloneDX"})", kCdx, {});
  w.commit();
  return out;
}

// Stores `bytes` under its own digest (or under `name` when given).
Descriptor put(const fs::path& dir, const std::string& bytes, const std::string& name = "") {
  Descriptor d;
  d.media_type = kMediaTypeManifest;
  d.digest = slimbuild::util::sha256_digest(bytes);
  d.size = bytes.size();
  write_text(dir / "blobs/sha256" / (name.empty() ? d.digest.substr(7) : name), bytes);
  return d;
}

std::string artifact(const Descriptor& subject, const std::string& type, const std::string& content) {
  Descriptor config{kMediaTypeEmpty, kEmptyJsonDigest, 2, {}, std::nullopt, nullptr};
  Descriptor layer{type, slimbuild::util::sha256_digest(content), content.size(), {}, std::nullopt, nullptr};
  return slimbuild::util::canonical_json(artifact_manifest_json(type, config, layer, subject, {}));
}

std::vector<std::string> digests(const std::vector<Descriptor>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(d.digest);
  return out;
}

void list_in_index(const fs::path& dir, const Descriptor& d) {
  json index = json::parse(slimbuild::util::read_file(dir / "index.json"));
  json entry = d.to_json();
  index["manifests"].push_back(entry);
  write_text(dir / "index.json", index.dump());
}

}  // namespace

TEST_CASE("image: referrers are found among the blobs, sorted, with their manifest's fields") {
  slimbuild::util::TempDir tmp("image-test");
  Sample s = write_sample(tmp.path() / "out");
  LayoutReader reader(s.dir);
  REQUIRE(reader.manifests().size() == 1);  // index.json: the image only

  auto all = reader.referrers(s.image.digest);
  std::vector<std::string> want{s.spdx.digest, s.cdx.digest};
  std::sort(want.begin(), want.end());
  CHECK(digests(all) == want);
  for (const auto& d : all) {
    CHECK(d.media_type == kMediaTypeManifest);
    const Descriptor& w = d.digest == s.spdx.digest ? s.spdx : s.cdx;
    CHECK(d.size == w.size);
    CHECK(d.artifact_type == w.artifact_type);
    CHECK(reader.read_json_blob(d)["subject"]["digest"] == s.image.digest);
  }
  auto spdx = reader.referrers(s.image.digest, kSpdx);
  REQUIRE(spdx.size() == 1);
  CHECK(spdx[0].digest == s.spdx.digest);
  CHECK(spdx[0].annotations == std::map<std::string, std::string>{{"org.opencontainers.image.created", "1970-01-01T00:00:00Z"}});
  CHECK(reader.referrers(s.image.digest, "application/x-none").empty());
  CHECK(reader.referrers("sha256:" + std::string(64, 'e')).empty());
  CHECK(reader.referrers("not a digest").empty());
  // The referrers of a referrer: none (the SBOM's own subject is the image).
  CHECK(reader.referrers(s.spdx.digest).empty());
}

TEST_CASE("image: referrers listed in index.json (older layouts, oras) are found once, and ignored as the image") {
  slimbuild::util::TempDir tmp("image-test");
  Sample s = write_sample(tmp.path() / "out");
  // The old layout: both referrers listed, one of them twice.
  list_in_index(s.dir, s.spdx);
  list_in_index(s.dir, s.cdx);
  list_in_index(s.dir, s.spdx);
  LayoutReader reader(s.dir);
  REQUIRE(reader.manifests().size() == 4);
  CHECK(reader.referrers(s.image.digest).size() == 2);
  CHECK(digests(reader.referrers(s.image.digest, kCdx)) == std::vector<std::string>{s.cdx.digest});
  CHECK(reader.find_image().digest == s.image.digest);  // "the only image" still skips them

  // Listed only (no blob scan can see it: its blob is a link) is not enough:
  // the listed blob is opened with O_NOFOLLOW like any other and skipped.
  slimbuild::util::TempDir outside("image-test");
  Descriptor linked = put(outside.path(), artifact(s.image, kSpdx, "{}"));
  fs::create_symlink(outside.path() / "blobs/sha256" / linked.digest.substr(7),
                     s.dir / "blobs/sha256" / linked.digest.substr(7));
  linked.artifact_type = kSpdx;
  list_in_index(s.dir, linked);
  CHECK(LayoutReader(s.dir).referrers(s.image.digest).size() == 2);
}

TEST_CASE("image: referrers skips blobs that are not referrers of the subject, without throwing") {
  slimbuild::util::TempDir tmp("image-test");
  Sample s = write_sample(tmp.path() / "out");
  fs::path blobs = s.dir / "blobs/sha256";
  const std::string real = artifact(s.image, kSpdx, "hostile");
  const std::string real_hex = slimbuild::util::sha256_digest(real).substr(7);

  // A referrer of the image outside the layout, reached by a link: not read.
  slimbuild::util::TempDir outside("image-test");
  write_text(outside.path() / "m.json", real);
  fs::create_symlink(outside.path() / "m.json", blobs / real_hex);
  // The same bytes under another (well-formed) name: fails its digest check.
  write_text(blobs / std::string(64, 'a'), real);
  // Larger than the JSON cap, starting with '{' (sparse: never read whole).
  write_text(blobs / std::string(64, 'b'), "{");
  fs::resize_file(blobs / std::string(64, 'b'), 64u << 20);
  // '{' but not JSON; JSON that is not an object; an empty file.
  put(s.dir, "{not json");
  put(s.dir, "  [1, 2]");
  write_text(blobs / std::string(64, 'c'), "");
  // An image index with a subject (image-spec 1.1 allows it): not a manifest.
  json index{{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", json::array()},
             {"subject", s.image.to_json()}};
  put(s.dir, index.dump());
  // A manifest claiming to be an index inside; a manifest of another subject;
  // a manifest with a subject but no config.
  json liar = json::parse(artifact(s.image, kSpdx, "liar"));
  liar["manifests"] = json::array();
  put(s.dir, liar.dump());
  Descriptor other{kMediaTypeManifest, "sha256:" + std::string(64, 'd'), 10, {}, std::nullopt, nullptr};
  put(s.dir, artifact(other, kSpdx, "other"));
  json no_config = json::parse(artifact(s.image, kSpdx, "no config"));
  no_config.erase("config");
  put(s.dir, no_config.dump());
  // A fifo, a folder and badly named files (upper case, short, temp names).
  REQUIRE(::mkfifo((blobs / std::string(64, 'f')).c_str(), 0644) == 0);
  fs::create_directory(blobs / std::string(63, '0').append("1"));
  write_text(blobs / std::string(64, 'A'), real);
  write_text(blobs / "abc", real);
  write_text(blobs / ".layer.tmp-0", real);

  LayoutReader reader(s.dir);
  std::vector<std::string> want{s.spdx.digest, s.cdx.digest};
  std::sort(want.begin(), want.end());
  CHECK(digests(reader.referrers(s.image.digest)) == want);
  CHECK(reader.referrers(other.digest).size() == 1);  // that one is a referrer, of the other digest

  // Leading JSON whitespace is still JSON: such a referrer is found.
  Descriptor spaced = put(s.dir, " \n\t" + artifact(s.image, kCdx, "spaced"));
  auto found = digests(LayoutReader(s.dir).referrers(s.image.digest));
  CHECK(found.size() == 3);
  CHECK(std::find(found.begin(), found.end(), spaced.digest) != found.end());
}

TEST_CASE("image: append_referrer writes blobs only, once, and leaves index.json alone") {
  slimbuild::util::TempDir tmp("image-test");
  Sample s = write_sample(tmp.path() / "out");
  const std::string index_before = slimbuild::util::read_file(s.dir / "index.json");
  const std::string type = "application/vnd.dev.sigstore.bundle.v0.3+json";
  Descriptor a = append_referrer(s.dir, s.image, type, R"({"bundle":1})", type, {{"k", "v"}});
  Descriptor b = append_referrer(s.dir, s.image, type, R"({"bundle":1})", type, {{"k", "v"}});
  CHECK(a.digest == b.digest);
  CHECK(a.artifact_type == type);
  CHECK(slimbuild::util::read_file(s.dir / "index.json") == index_before);
  LayoutReader reader(s.dir);
  auto bundles = reader.referrers(s.image.digest, type);
  REQUIRE(bundles.size() == 1);
  CHECK(bundles[0].digest == a.digest);
  CHECK(bundles[0].annotations == std::map<std::string, std::string>{{"k", "v"}});
  CHECK(reader.referrers(s.image.digest).size() == 3);
  CHECK(reader.find_image().digest == s.image.digest);
}
