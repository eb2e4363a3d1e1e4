// inspect and the IMAGE argument: layouts, DIR:TAG, archives, and clear
// errors for anything else (never a surprise network request); the report's
// run settings, files, referrers and library attribution on an image holding
// a real dynamically linked program.
#include <catch2/catch.hpp>

#include <fstream>

#include <slimbuild/image/archive.hpp>
#include <slimbuild/inspect/diff.hpp>
#include <slimbuild/inspect/image_source.hpp>
#include <slimbuild/inspect/inspect.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/inspect_fixture.hpp"

using namespace slimbuild;
namespace fx = inspect_fixture;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string slurp(const fs::path& p) { return util::read_file(p); }

// /bin/true with the C library and the loader, at the paths the loader uses.
fx::Image true_image() {
  fx::Image img;
  img.items = {{"app", 'd', 0755, ""},
               {"app/true", 'f', 0755, slurp("/bin/true")},
               {"lib", 'd', 0755, ""},
               {"lib/x86_64-linux-gnu", 'd', 0755, ""},
               {"lib/x86_64-linux-gnu/libc.so.6", 'f', 0644, slurp(fs::canonical("/lib/x86_64-linux-gnu/libc.so.6"))},
               {"lib64", 'd', 0755, ""},
               {"lib64/ld-linux-x86-64.so.2", 'f', 0755, slurp(fs::canonical("/lib64/ld-linux-x86-64.so.2"))},
               {"tmp", 'd', 01777, ""}};
  img.config_extra = {{"Entrypoint", {"/app/true"}}, {"ExposedPorts", {{"3000/tcp", json::object()}}},
                      {"Labels", {{"org.example.team", "payments"}}}, {"WorkingDir", "/app"}};
  return img;
}

}  // namespace

TEST_CASE("inspect: open_image accepts layouts, DIR:TAG and archives, and refuses the rest clearly") {
  util::TempDir tmp{"prov-src"};
  fs::path layout = tmp.path() / "layout";
  auto img = fx::hello_image();
  img.ref = "1.0";
  std::string digest = fx::write_layout(layout, img);
  registry::RegistryOptions none;

  auto a = inspect::open_image(layout.string(), none);
  CHECK(a.kind == inspect::SourceKind::Layout);
  CHECK(a.ref.empty());
  auto b = inspect::open_image(layout.string() + ":1.0", none);
  CHECK(b.layout == layout);
  CHECK(b.ref == "1.0");
  auto c = inspect::open_image("oci:" + layout.string() + ":1.0", none);
  CHECK(c.ref == "1.0");

  image::write_docker_archive(layout, "1.0", {"hello:1.0"}, tmp.path() / "d.tar", 0);
  auto d = inspect::open_image((tmp.path() / "d.tar").string(), none);
  CHECK(d.kind == inspect::SourceKind::DockerArchive);
  fs::path temp_layout = d.layout;
  CHECK(fs::exists(temp_layout / "index.json"));
  image::write_oci_archive(layout, tmp.path() / "o.tar", 0);
  CHECK(inspect::open_image("oci-archive:" + (tmp.path() / "o.tar").string(), none).kind ==
        inspect::SourceKind::OciArchive);
  { auto moved = std::move(d); }
  CHECK_FALSE(fs::exists(temp_layout));  // the temporary layout dies with the image

  for (const std::string& bad : std::vector<std::string>{"hello", "out/hello", (tmp.path() / "missing").string(), "./x:1"}) {
    INFO(bad);
    CHECK_THROWS_WITH(inspect::open_image(bad, none), Catch::Contains("is not an OCI layout directory"));
  }
  CHECK(inspect::looks_like_registry_reference("registry.example.com/team/app:1.0"));
  CHECK(inspect::looks_like_registry_reference("localhost:5000/app@sha256:abc"));
  CHECK(inspect::looks_like_registry_reference("localhost/app"));
  CHECK_FALSE(inspect::looks_like_registry_reference("app:1.0"));
  CHECK_FALSE(inspect::looks_like_registry_reference("team/app"));
  CHECK_FALSE(inspect::looks_like_registry_reference("reg.io/a b"));
}

TEST_CASE("inspect: inspect reports run settings, files, sizes and which ELF needs each library") {
  util::TempDir tmp{"prov-inspect"};
  fs::path layout = tmp.path() / "layout";
  std::string digest = fx::write_layout(layout, true_image());
  auto img = inspect::open_image(layout.string(), {});
  json r = inspect::inspect_image(img);

  CHECK(r["digest"] == digest);
  CHECK(r["platform"]["architecture"] == "amd64");
  CHECK(r["user"] == "65532:65532");
  CHECK(r["entrypoint"] == json::array({"/app/true"}));
  CHECK(r["workdir"] == "/app");
  CHECK(r["ports"] == json::array({"3000/tcp"}));
  CHECK(r["labels"]["org.example.team"] == "payments");
  REQUIRE(r["layers"].size() == 1);
  CHECK(r["layers"][0]["diff_id"].get<std::string>().rfind("sha256:", 0) == 0);
  CHECK(r["size"]["files"].get<uint64_t>() > fs::file_size("/bin/true"));

  bool saw_tmp = false, saw_true = false;
  for (const auto& f : r["files"]) {
    if (f["path"] == "/tmp") saw_tmp = f["mode"] == "1777" && f["type"] == "dir";
    if (f["path"] == "/app/true") saw_true = f["mode"] == "0755" && f["size"] == fs::file_size("/bin/true");
  }
  CHECK(saw_tmp);
  CHECK(saw_true);

  INFO(r["libraries"].dump() << " " << r.value("libraries_note", ""));
  bool libc_by_true = false, interp = false;
  for (const auto& l : r["libraries"]) {
    if (l["path"] == "/lib/x86_64-linux-gnu/libc.so.6")
      libc_by_true = std::find(l["needed_by"].begin(), l["needed_by"].end(), "/app/true") != l["needed_by"].end();
    if (l["path"] == "/lib64/ld-linux-x86-64.so.2") interp = true;
  }
  CHECK(libc_by_true);
  CHECK(interp);

  std::string text = inspect::inspect_text(r);
  CHECK(text.find("needed by /app/true") != std::string::npos);
  CHECK(text.substr(text.size() - 72) == digest + "\n");  // the last line is the digest
}

TEST_CASE("inspect: inspect lists referrers and survives a non-ELF entrypoint") {
  util::TempDir tmp{"prov-inspect"};
  fs::path layout = tmp.path() / "layout";
  auto script = fx::hello_image();
  fx::item(script, "app/hello").content = "#!/bin/sh\necho hi\n";
  std::string digest = fx::write_layout(layout, script);
  // An SBOM referrer, stored as LayoutWriter::add_referrer stores it: blobs
  // only, not listed in index.json.
  std::string sbom = R"({"spdxVersion":"SPDX-2.3"})";
  std::string sbom_digest = fx::put_blob(layout, sbom);
  std::string empty_digest = fx::put_blob(layout, "{}");
  json subject_desc = json::parse(util::read_file(layout / "index.json"))["manifests"][0];
  subject_desc.erase("annotations");
  json m{{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
         {"artifactType", "application/spdx+json"},
         {"config", {{"mediaType", "application/vnd.oci.empty.v1+json"}, {"digest", empty_digest}, {"size", 2}}},
         {"layers", {{{"mediaType", "application/spdx+json"}, {"digest", sbom_digest}, {"size", sbom.size()}}}},
         {"subject", subject_desc}};
  std::string mbytes = util::canonical_json(m);
  std::string mdigest = fx::put_blob(layout, mbytes);
  auto check_one_referrer = [&](const json& r) {
    REQUIRE(r["referrers"].size() == 1);
    CHECK(r["referrers"][0]["digest"] == mdigest);
    CHECK(r["referrers"][0]["artifactType"] == "application/spdx+json");
    CHECK(r["referrers"][0]["content"] == "application/spdx+json");
  };
  check_one_referrer(inspect::inspect_image(inspect::open_image(layout.string(), {})));
  // Listed in index.json as well, as older slimbuild layouts do: still once.
  json index = json::parse(util::read_file(layout / "index.json"));
  index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", mdigest},
                                {"size", mbytes.size()}, {"artifactType", "application/spdx+json"}});
  util::write_file_atomic(layout / "index.json", index.dump());

  json r = inspect::inspect_image(inspect::open_image(layout.string(), {}));
  CHECK(r["digest"] == digest);
  check_one_referrer(r);
  CHECK(r["libraries"].empty());
  CHECK(r["libraries_note"].get<std::string>().find("not an ELF") != std::string::npos);
  CHECK(inspect::inspect_text(r).find("(SBOM)") != std::string::npos);
}

TEST_CASE("inspect: inspect and compare refuse a config with fields of the wrong type as bad input") {
  util::TempDir tmp{"prov-inspect"};
  fs::path layout = tmp.path() / "layout";
  fx::write_layout(layout, fx::hello_image());
  // Rewrite the chain index -> manifest -> config with "created": 5.
  json index = json::parse(util::read_file(layout / "index.json"));
  std::string mdigest = index["manifests"][0]["digest"];
  json manifest = json::parse(util::read_file(layout / "blobs/sha256" / mdigest.substr(7)));
  std::string cdigest = manifest["config"]["digest"];
  json config = json::parse(util::read_file(layout / "blobs/sha256" / cdigest.substr(7)));
  config["created"] = 5;
  std::string cbytes = util::canonical_json(config);
  manifest["config"]["digest"] = fx::put_blob(layout, cbytes);
  manifest["config"]["size"] = cbytes.size();
  std::string mbytes = util::canonical_json(manifest);
  index["manifests"][0]["digest"] = fx::put_blob(layout, mbytes);
  index["manifests"][0]["size"] = mbytes.size();
  util::write_file_atomic(layout / "index.json", index.dump());

  auto img = inspect::open_image(layout.string(), {});
  CHECK_THROWS_WITH(inspect::inspect_image(img), Catch::Contains("malformed"));
  fs::path good = tmp.path() / "good";
  fx::write_layout(good, fx::hello_image());
  // compare names the odd field rather than failing: it only reads it as JSON.
  auto c = inspect::compare_layouts(good, "", layout, "");
  CHECK_FALSE(c.identical);
}
