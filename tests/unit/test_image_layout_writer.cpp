// LayoutWriter and the image documents: exact JSON shapes and bytes, blob
// store behaviour (idempotent puts, fixed modes, atomic commit), checked
// with our LayoutReader and, in test_image_peers.cpp, with skopeo and umoci.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <set>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/image/layout.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using namespace slimbuild::image;
using nlohmann::json;

namespace {

ImageConfigSpec full_spec() {
  ImageConfigSpec s;
  s.architecture = "arm64";
  s.variant = "v8";
  s.user = "65532:65532";
  s.env = {"PATH=/usr/bin", "TZ=Europe/Ljubljana"};
  s.entrypoint = {"/app/hello", "--serve"};
  s.cmd = std::vector<std::string>{"--port", "3000"};
  s.working_dir = "/app";
  s.exposed_ports = {"3000/tcp", "8443/tcp"};
  s.labels = {{"org.example.team", "payments"}};
  s.created = 1700000000;
  return s;
}

// The smallest rootfs: one generated file.
Rootfs one_file() {
  Rootfs r;
  r.add(generated("/x", "x"));
  return r;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("image: rfc3339 formats UTC seconds and refuses what it cannot write") {
  CHECK(rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(rfc3339(1700000000) == "2023-11-14T22:13:20Z");
  CHECK(rfc3339(253402300799) == "9999-12-31T23:59:59Z");
  CHECK_THROWS_WITH(rfc3339(-1), Catch::Contains("outside the years"));
  CHECK_THROWS_WITH(rfc3339(253402300800), Catch::Contains("outside the years"));
}

TEST_CASE("image: config document has the image-spec shape and canonical bytes") {
  std::string diff = "sha256:" + std::string(64, 'a');
  json j = image_config_json(full_spec(), {diff});
  CHECK(slimbuild::util::canonical_json(j) ==
        R"({"architecture":"arm64","config":{"Cmd":["--port","3000"],"Entrypoint":["/app/hello","--serve"],)"
        R"("Env":["PATH=/usr/bin","TZ=Europe/Ljubljana"],"ExposedPorts":{"3000/tcp":{},"8443/tcp":{}},)"
        R"("Labels":{"org.example.team":"payments"},"User":"65532:65532","WorkingDir":"/app"},)"
        R"("created":"2023-11-14T22:13:20Z","history":[{"created":"2023-11-14T22:13:20Z","created_by":"slimbuild"}],)"
        R"("os":"linux","rootfs":{"diff_ids":[")" + diff + R"("],"type":"layers"},"variant":"v8"})");

  SECTION("empty optional fields are omitted, an explicit empty cmd is kept") {
    ImageConfigSpec s;
    s.architecture = "amd64";
    json m = image_config_json(s, {diff});
    CHECK(m["config"] == json::object());
    CHECK_FALSE(m.contains("variant"));
    CHECK(m["created"] == "1970-01-01T00:00:00Z");
    s.cmd = std::vector<std::string>{};
    CHECK(image_config_json(s, {diff})["config"] == json{{"Cmd", json::array()}});
  }
  SECTION("bad fields are errors") {
    ImageConfigSpec s = full_spec();
    s.env.push_back("NOEQUALS");
    CHECK_THROWS_WITH(image_config_json(s, {diff}), Catch::Contains("'NOEQUALS' is not KEY=value"));
    CHECK_THROWS(image_config_json(full_spec(), {"sha256:nothex"}));
    ImageConfigSpec noarch;
    CHECK_THROWS(image_config_json(noarch, {diff}));
  }
}

TEST_CASE("image: a committed layout holds config, manifest, index and oci-layout") {
  slimbuild::util::TempDir tmp("image-test");
  Rootfs r = sample_rootfs(tmp.path() / "src");
  fs::path out = tmp.path() / "out";
  LayoutWriter w(out);
  auto layer = w.put_layer(r, {});
  Descriptor d = w.add_image(full_spec(), layer, {{"org.opencontainers.image.revision", "abc"}}, "1.4.2");
  CHECK_FALSE(fs::exists(out));  // nothing visible before commit
  w.commit();

  CHECK(slimbuild::util::read_file(out / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  std::string index_bytes = slimbuild::util::read_file(out / "index.json");
  json index = json::parse(index_bytes);
  CHECK(index_bytes == slimbuild::util::canonical_json(index));
  CHECK(index["schemaVersion"] == 2);
  CHECK(index["mediaType"] == kMediaTypeIndex);
  REQUIRE(index["manifests"].size() == 1);
  json entry = index["manifests"][0];
  CHECK(entry == json{{"mediaType", kMediaTypeManifest},
                      {"digest", d.digest},
                      {"size", d.size},
                      {"annotations", {{kAnnotationRefName, "1.4.2"}}},
                      {"platform", {{"architecture", "arm64"}, {"os", "linux"}, {"variant", "v8"}}}});

  LayoutReader reader(out);
  Descriptor found = reader.find_image("1.4.2");
  CHECK(found.digest == d.digest);
  CHECK(reader.find_image().digest == d.digest);
  json manifest = reader.read_json_blob(found);
  CHECK(reader.read_blob(found) == slimbuild::util::canonical_json(manifest));
  CHECK(manifest["schemaVersion"] == 2);
  CHECK(manifest["mediaType"] == kMediaTypeManifest);
  CHECK(manifest["annotations"] == json{{"org.opencontainers.image.revision", "abc"}});
  CHECK(manifest["layers"] == json::array({{{"mediaType", kMediaTypeLayerGzip}, {"digest", layer.digest},
                                            {"size", layer.size}}}));
  CHECK(manifest["config"]["mediaType"] == kMediaTypeConfig);
  json config = reader.read_json_blob(Descriptor::from_json(manifest["config"]));
  CHECK(config == image_config_json(full_spec(), {layer.diff_id}));
  CHECK(sha256sum(reader.blob_path(layer.digest)) == layer.digest.substr(7));

  // Only the blobs we referenced, nothing temporary left.
  std::set<std::string> blobs;
  for (auto& f : fs::directory_iterator(out / "blobs/sha256")) blobs.insert(f.path().filename().string());
  CHECK(blobs == std::set<std::string>{layer.digest.substr(7), d.digest.substr(7),
                                       manifest["config"]["digest"].get<std::string>().substr(7)});
  std::set<std::string> top;
  for (auto& f : fs::directory_iterator(out)) top.insert(f.path().filename().string());
  CHECK(top == std::set<std::string>{"blobs", "index.json", "oci-layout"});
}

TEST_CASE("image: puts are idempotent and modes do not follow the umask") {
  slimbuild::util::TempDir tmp("image-test");
  mode_t old = ::umask(077);
  {
    LayoutWriter w(tmp.path() / "out");
    Descriptor a = w.put_bytes("hello", "text/plain");
    Descriptor b = w.put_bytes("hello", "text/plain");
    CHECK(a.digest == b.digest);
    CHECK(a.digest == slimbuild::util::sha256_digest("hello"));
    CHECK(a.size == 5);
    Descriptor j = w.put_json(json{{"b", 1}, {"a", {1, 2}}}, "application/json");
    CHECK(slimbuild::util::read_file(w.path() / "blobs/sha256" / j.digest.substr(7)) == R"({"a":[1,2],"b":1})");
    Rootfs r = one_file();
    auto l1 = w.put_layer(r, {});
    auto l2 = w.put_layer(r, {});
    CHECK(l1.digest == l2.digest);
    w.add_image(full_spec(), l1, {}, "latest");
    w.commit();
  }
  ::umask(old);
  fs::path out = tmp.path() / "out";
  CHECK(mode_of(out) == 0755);
  CHECK(mode_of(out / "blobs") == 0755);
  CHECK(mode_of(out / "blobs/sha256") == 0755);
  CHECK(mode_of(out / "index.json") == 0644);
  CHECK(mode_of(out / "oci-layout") == 0644);
  size_t n = 0;
  for (auto& f : fs::directory_iterator(out / "blobs/sha256")) {
    INFO(f.path());
    CHECK(mode_of(f.path()) == 0644);
    ++n;
  }
  CHECK(n == 5);  // "hello", the JSON doc, the layer (once), config, manifest
}

TEST_CASE("image: a writer destroyed without commit leaves nothing behind") {
  slimbuild::util::TempDir tmp("image-test");
  {
    LayoutWriter w(tmp.path() / "out");
    w.add_image(full_spec(), w.put_layer(one_file(), {}), {}, "latest");
    CHECK(fs::exists(w.path() / "blobs/sha256"));
  }
  CHECK(fs::is_empty(tmp.path()));

  SECTION("also when the layer fails half-way") {
    {
      LayoutWriter w(tmp.path() / "out");
      Rootfs r;
      write_text(tmp.path() / "src", "0123456789");
      r.add(file_from("/f", tmp.path() / "src"));
      fs::resize_file(tmp.path() / "src", 3);
      CHECK_THROWS_WITH(w.put_layer(r, {}), Catch::Contains("changed while it was being read"));
      CHECK(fs::is_empty(w.path() / "blobs/sha256"));
    }
    fs::remove(tmp.path() / "src");
    CHECK(fs::is_empty(tmp.path()));
  }
}

TEST_CASE("image: commit replaces an existing output directory") {
  slimbuild::util::TempDir tmp("image-test");
  fs::path out = tmp.path() / "out";
  {
    LayoutWriter old(out);
    old.add_image(full_spec(), old.put_layer(one_file(), {}), {{"k", "old"}}, "old");
    old.commit();
  }
  LayoutWriter w(out);
  auto d = w.add_image(full_spec(), w.put_layer(one_file(), {}), {}, "latest");
  CHECK(LayoutReader(out).find_image("old").digest != d.digest);  // untouched until commit
  w.commit();
  CHECK_THROWS(LayoutReader(out).find_image("old"));
  CHECK(LayoutReader(out).find_image("latest").digest == d.digest);
  std::set<std::string> siblings;
  for (auto& f : fs::directory_iterator(tmp.path())) siblings.insert(f.path().filename().string());
  siblings.erase(".out.lock");  // the lock that serialises builds to one -o stays, empty
  CHECK(siblings == std::set<std::string>{"out"});
  CHECK_THROWS_WITH(w.commit(), Catch::Contains("already committed"));
}

TEST_CASE("image: the same ref added twice keeps only the last image") {
  slimbuild::util::TempDir tmp("image-test");
  LayoutWriter w(tmp.path() / "out");
  auto layer = w.put_layer(one_file(), {});
  ImageConfigSpec s = full_spec();
  w.add_image(s, layer, {}, "latest");
  s.user = "1000:1000";
  auto second = w.add_image(s, layer, {}, "latest");
  auto other = w.add_image(s, layer, {{"k", "v"}}, "other");
  w.commit();
  LayoutReader reader(tmp.path() / "out");
  auto listed = reader.manifests();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].digest == second.digest);
  CHECK(listed[1].digest == other.digest);
}

TEST_CASE("image: add_image refuses a layer that is not in the layout") {
  slimbuild::util::TempDir tmp("image-test");
  LayoutWriter w(tmp.path() / "out");
  slimbuild::layer::LayerResult fake;
  fake.digest = "sha256:" + std::string(64, 'b');
  fake.diff_id = "sha256:" + std::string(64, 'c');
  CHECK_THROWS_WITH(w.add_image(full_spec(), fake, {}, "latest"), Catch::Contains("was not written to this layout"));
}

TEST_CASE("image: a referrer is an OCI 1.1 artifact stored beside the image, not listed in index.json") {
  slimbuild::util::TempDir tmp("image-test");
  fs::path out = tmp.path() / "out";
  LayoutWriter w(out);
  Descriptor image = w.add_image(full_spec(), w.put_layer(one_file(), {}), {}, "1.0");
  std::string sbom = R"({"spdxVersion":"SPDX-2.3"})";
  Descriptor ref = w.add_referrer(image, "application/spdx+json", sbom, "application/spdx+json",
                                  {{"org.opencontainers.image.created", "1970-01-01T00:00:00Z"}});
  w.commit();

  // index.json lists the image alone (what `skopeo copy oci:DIR` without a
  // tag needs); the referrer is found by its subject among the blobs.
  json index = json::parse(slimbuild::util::read_file(out / "index.json"));
  REQUIRE(index["manifests"].size() == 1);
  CHECK(index["manifests"][0]["digest"] == image.digest);
  CHECK(ref.artifact_type == "application/spdx+json");
  LayoutReader reader(out);
  auto found = reader.referrers(image.digest);
  REQUIRE(found.size() == 1);
  CHECK(found[0].digest == ref.digest);
  CHECK(found[0].size == ref.size);
  json m = reader.read_json_blob(ref);
  CHECK(m["artifactType"] == "application/spdx+json");
  CHECK(m["config"] == json{{"mediaType", kMediaTypeEmpty}, {"digest", kEmptyJsonDigest}, {"size", 2}});
  CHECK(slimbuild::util::sha256_digest(kEmptyJson) == kEmptyJsonDigest);
  CHECK(reader.read_blob(Descriptor::from_json(m["config"])) == "{}");
  CHECK(m["subject"] == json{{"mediaType", kMediaTypeManifest}, {"digest", image.digest}, {"size", image.size}});
  REQUIRE(m["layers"].size() == 1);
  CHECK(m["layers"][0]["mediaType"] == "application/spdx+json");
  CHECK(reader.read_blob(Descriptor::from_json(m["layers"][0])) == sbom);
  CHECK(m["annotations"] == json{{"org.opencontainers.image.created", "1970-01-01T00:00:00Z"}});
  // The tag still names the image, and "the only image" ignores the artifact.
  CHECK(reader.find_image("1.0").digest == image.digest);
  CHECK(reader.find_image().digest == image.digest);
}

TEST_CASE("image: ref names follow the image-layout grammar") {
  slimbuild::util::TempDir tmp("image-test");
  LayoutWriter w(tmp.path() / "out");
  auto layer = w.put_layer(one_file(), {});
  for (std::string good : {"latest", "1.4.2", "v1-rc.1", "team/app:1.0", "a--b", "A_b+c@d", "0"})
    CHECK_NOTHROW(w.add_image(full_spec(), layer, {}, good));
  for (std::string bad : {"bad tag", "-lead", "trail-", "a//b", "/a", "a/", "a..", "caf\xc3\xa9", "a---b"}) {
    INFO(bad);
    CHECK_THROWS_WITH(w.add_image(full_spec(), layer, {}, bad), Catch::Contains("cannot name an image"));
  }
}

TEST_CASE("image: two builds of the same inputs give byte-identical layouts") {
  slimbuild::util::TempDir tmp("image-test");
  auto build = [&](const fs::path& src, const fs::path& out, mode_t mask) {
    mode_t old = ::umask(mask);
    LayoutWriter w(out);
    slimbuild::layer::LayerOptions opt;
    opt.mtime = 1700000000;
    auto image = w.add_image(full_spec(), w.put_layer(sample_rootfs(src), opt), {}, "1.0");
    w.add_referrer(image, "application/spdx+json", R"({"spdxVersion":"SPDX-2.3"})", "application/spdx+json", {});
    w.commit();
    ::umask(old);
  };
  build(tmp.path() / "src-a", tmp.path() / "a", 022);
  build(tmp.path() / "deeper/src-b", tmp.path() / "nested/b", 077);
  std::map<std::string, std::string> a, b;
  for (auto& f : fs::recursive_directory_iterator(tmp.path() / "a"))
    if (f.is_regular_file()) a[fs::relative(f.path(), tmp.path() / "a")] = slimbuild::util::read_file(f.path());
  for (auto& f : fs::recursive_directory_iterator(tmp.path() / "nested/b"))
    if (f.is_regular_file()) b[fs::relative(f.path(), tmp.path() / "nested/b")] = slimbuild::util::read_file(f.path());
  // oci-layout, index.json; layer, config, manifest; empty config, SBOM, artifact manifest
  CHECK(a.size() == 8);
  CHECK(a == b);
}
