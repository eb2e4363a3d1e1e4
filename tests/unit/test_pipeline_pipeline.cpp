// The whole build, end to end, on a small dynamic C program compiled here:
// the layout is readable, the digest does not depend on cwd, umask or time,
// and a failing build leaves nothing at -o nor any temporary beside it.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <slimbuild/image/archive.hpp>
#include <slimbuild/image/layout.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/pipeline/pipeline.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/process.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/fake_process_runner.hpp"
#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs_test::put;
namespace fs = std::filesystem;

namespace {

// A project directory with hello.c compiled against zlib (one real
// DT_NEEDED besides libc) and a manifest for it.
fs::path make_project(const fs::path& dir, const std::string& extra_yaml = "") {
  put(dir, "hello.c",
      "#include <stdio.h>\n#include <zlib.h>\n"
      "int main(void) { printf(\"hello %s\\n\", zlibVersion()); return 0; }\n");
  auto r = util::run_process({"cc", "-O1", "-o", (dir / "hello").string(), (dir / "hello.c").string(), "-lz"});
  INFO(r.err);
  REQUIRE(r.ok());
  put(dir, "config/app.conf", "greeting=hi\n");
  put(dir, "manifest.yml",
      "name: hello\n"
      "image: registry.example.com/team/hello:1.4.2\n"
      "binary:\n  path: hello\n"
      "files:\n  - src: config/\n    dest: /etc/hello/\n"
      "user:\n  name: app\n  uid: 65532\n"
      "ca_certificates: true\n"
      "tzdata: [UTC]\n"
      "timezone: UTC\n" +
          extra_yaml);
  return dir / "manifest.yml";
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

pipeline::BuildOptions options_for(const fs::path& out) {
  pipeline::BuildOptions o;
  o.output = out;
  o.source_date_epoch = 1700000000;
  return o;
}

// As the CLI does it: load the YAML manifest, then build from it.
pipeline::BuildResult build(const fs::path& manifest, const pipeline::BuildOptions& options) {
  return pipeline::build_image(manifest::load_manifest(manifest), options);
}

}  // namespace

TEST_CASE("build: a manifest becomes an OCI layout that LayoutReader reads") {
  util::TempDir tmp{"build-e2e"};
  fs::path manifest = make_project(tmp.path() / "proj");
  fs::path out = tmp.path() / "out";
  auto opts = options_for(out);
  opts.sbom_file = tmp.path() / "sbom.spdx.json";
  pipeline::BuildResult r = build(manifest, opts);

  CHECK(r.layout == out);
  CHECK(r.ref_name == "1.4.2");
  CHECK(r.reference == "registry.example.com/team/hello:1.4.2");
  CHECK(util::is_sha256_digest(r.image_manifest.digest));
  CHECK(r.file_count >= 6);  // binary, ld.so, libc, libz, passwd, group, ...

  image::LayoutReader layout(out);
  image::Descriptor d = layout.find_image("1.4.2");
  CHECK(d.digest == r.image_manifest.digest);
  nlohmann::json manifest_json = layout.read_json_blob(d);
  CHECK(manifest_json["config"]["digest"] == r.config_digest);
  CHECK(manifest_json["layers"].size() == 1);
  CHECK(manifest_json["layers"][0]["digest"] == r.layer_digest);
  CHECK(layout.has_blob(r.layer_digest));

  image::Descriptor config_desc = image::Descriptor::from_json(manifest_json["config"]);
  nlohmann::json config = layout.read_json_blob(config_desc);
  CHECK(config["architecture"] == "amd64");
  CHECK(config["config"]["User"] == "65532:65532");
  CHECK(config["config"]["Entrypoint"] == nlohmann::json::array({"/app/hello"}));
  CHECK(config["rootfs"]["diff_ids"][0] == r.diff_id);
  std::vector<std::string> env = config["config"]["Env"];
  CHECK(std::find(env.begin(), env.end(), "TZ=UTC") != env.end());
  CHECK(std::find(env.begin(), env.end(), "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") != env.end());
  CHECK(config["config"]["Labels"]["org.opencontainers.image.title"] == "hello");

  CHECK(util::is_sha256_digest(r.sbom_digest));
  CHECK(layout.has_blob(r.sbom_digest));
  nlohmann::json sbom = nlohmann::json::parse(util::read_file(tmp.path() / "sbom.spdx.json"));
  CHECK(sbom["spdxVersion"] == "SPDX-2.3");

  // Only the layout, the project and the SBOM: no temporaries left behind.
  CHECK(listing(tmp.path()) == std::vector<std::string>{"out", "proj", "sbom.spdx.json"});
}

TEST_CASE("build: two builds from different working directories and umasks give the same digest") {
  util::TempDir tmp{"build-repro"};
  fs::path manifest = make_project(tmp.path() / "proj");
  fs::create_directories(tmp.path() / "elsewhere");
  std::string cli = SLIMBUILD_BINARY;
  auto build_with = [&](const std::string& umask, const fs::path& cwd, const fs::path& out) {
    util::ProcessOptions po;
    po.cwd = cwd.string();
    po.env_set["SOURCE_DATE_EPOCH"] = "1700000000";
    auto r = util::run_process({"sh", "-c", "umask " + umask + " && exec \"$0\" build \"$1\" -o \"$2\"", cli,
                                manifest.string(), out.string()},
                               po);
    INFO(r.err);
    REQUIRE(r.ok());
    std::string last = r.out.substr(0, r.out.size() - 1);
    last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
    CHECK(util::is_sha256_digest(last));
    return last;
  };
  std::string a = build_with("022", tmp.path() / "proj", tmp.path() / "a");
  std::string b = build_with("077", tmp.path() / "elsewhere", "../b");
  CHECK(a == b);
  CHECK(fs::exists(tmp.path() / "b" / "oci-layout"));
  // Rebuilding over an existing layout replaces it with the same content.
  CHECK(build_with("002", tmp.path(), tmp.path() / "a") == a);
}

TEST_CASE("build: a missing library fails and leaves nothing at -o or beside it") {
  util::TempDir tmp{"build-fail"};
  fs::path manifest = make_project(tmp.path() / "proj", "libraries: [libslimbuild-does-not-exist.so.7]\n");
  fs::path parent = tmp.path() / "outdir";
  fs::create_directories(parent);
  CHECK_THROWS_WITH(build(manifest, options_for(parent / "image")),
                    Catch::Contains("libslimbuild-does-not-exist.so.7"));
  CHECK(listing(parent).empty());
}

TEST_CASE("build: a bad manifest fails before anything is written, and an old layout survives") {
  util::TempDir tmp{"build-bad"};
  fs::path manifest = make_project(tmp.path() / "proj");
  fs::path out = tmp.path() / "out";
  std::string digest = build(manifest, options_for(out)).image_manifest.digest;

  put(tmp.path() / "proj", "manifest.yml", "name: hello\nbinary: {path: hello}\nuser: {uid: 1}\nbogus_key: 1\n");
  CHECK_THROWS_WITH(build(manifest, options_for(out)), Catch::Contains("bogus_key"));
  CHECK(image::LayoutReader(out).find_image().digest == digest);
  CHECK(listing(tmp.path()) == std::vector<std::string>{"out", "proj"});
}

TEST_CASE("build: a file conflict fails the build naming both origins and leaves no output") {
  util::TempDir tmp{"build-conflict"};
  fs::path manifest = make_project(tmp.path() / "proj");
  put(tmp.path() / "proj", "passwd", "root:x:0:0::/root:/bin/sh\n");
  put(tmp.path() / "proj", "manifest.yml",
      "name: hello\nbinary:\n  path: hello\nfiles:\n  - src: passwd\n    dest: /etc/passwd\nuser:\n  uid: 65532\n");
  CHECK_THROWS_WITH(build(manifest, options_for(tmp.path() / "out")),
                    Catch::Contains("/etc/passwd") && Catch::Contains("generated") && Catch::Contains("files"));
  CHECK_FALSE(fs::exists(tmp.path() / "out"));
}

TEST_CASE("build: an unwritable --sbom path fails the build before any output is committed") {
  util::TempDir tmp{"build-sbom"};
  fs::path manifest = make_project(tmp.path() / "proj");
  fs::path parent = tmp.path() / "outdir";
  fs::create_directories(parent);
  auto opts = options_for(parent / "image");
  opts.sbom_file = parent;  // a directory: cannot become the SBOM file
  CHECK_THROWS_WITH(build(manifest, opts), Catch::Contains("is a directory"));
  CHECK(listing(parent).empty());  // no layout, no temporary layout, no temporary SBOM

  opts.sbom_file = parent / "reports" / "sbom.spdx.json";  // parents are created
  build(manifest, opts);
  CHECK(listing(parent) == std::vector<std::string>{"image", "reports"});
  CHECK(listing(parent / "reports") == std::vector<std::string>{"sbom.spdx.json"});
}

TEST_CASE("build: refuses to replace an existing directory that is not a layout") {
  util::TempDir tmp{"build-guard"};
  fs::path manifest = make_project(tmp.path() / "proj");
  CHECK_THROWS_WITH(build(manifest, options_for(tmp.path() / "proj")),
                    Catch::Contains("which is not part of an OCI image layout"));
  CHECK(fs::exists(tmp.path() / "proj" / "hello.c"));
}

TEST_CASE("build: archive formats write one file at -o") {
  util::TempDir tmp{"build-archive"};
  fs::path manifest = make_project(tmp.path() / "proj");
  auto opts = options_for(tmp.path() / "image.tar");
  opts.format = image::OutputFormat::OciArchive;
  auto r = build(manifest, opts);
  CHECK(fs::is_regular_file(tmp.path() / "image.tar"));
  opts.output = tmp.path() / "docker.tar";
  opts.format = image::OutputFormat::DockerArchive;
  auto d = build(manifest, opts);
  CHECK(d.image_manifest.digest == r.image_manifest.digest);
  CHECK(fs::is_regular_file(tmp.path() / "docker.tar"));
  util::TempDir back{"build-archive-back"};
  image::archive_to_layout(tmp.path() / "image.tar", back.path() / "layout");
  CHECK(image::LayoutReader(back.path() / "layout").find_image("1.4.2").digest == r.image_manifest.digest);
  CHECK(listing(tmp.path()) == std::vector<std::string>{"docker.tar", "image.tar", "proj"});
  // Rebuilding over an archive is fine; over any other file it is refused.
  opts.output = tmp.path() / "image.tar";
  CHECK(build(manifest, opts).image_manifest.digest == r.image_manifest.digest);
  opts.output = manifest;
  CHECK_THROWS_WITH(build(manifest, opts), Catch::Contains("not a tar archive"));
  CHECK_THAT(util::read_file(manifest), Catch::StartsWith("name: hello"));
}

TEST_CASE("build: --tag names the layout entry but does not change the image digest") {
  util::TempDir tmp{"build-tag"};
  fs::path manifest = make_project(tmp.path() / "proj");
  auto plain = build(manifest, options_for(tmp.path() / "a"));
  auto opts = options_for(tmp.path() / "b");
  opts.tag = "127.0.0.1:5000/other/name:9.9";
  auto tagged = build(manifest, opts);
  CHECK(tagged.ref_name == "9.9");
  CHECK(tagged.reference == "127.0.0.1:5000/other/name:9.9");
  CHECK(tagged.image_manifest.digest == plain.image_manifest.digest);
  CHECK(image::LayoutReader(tmp.path() / "b").find_image("9.9").digest == plain.image_manifest.digest);
  opts.tag = "reg/x:bad tag";
  opts.output = tmp.path() / "c";
  CHECK_THROWS_WITH(build(manifest, opts), Catch::Contains("not a valid image tag"));
  CHECK_FALSE(fs::exists(tmp.path() / "c"));
}

TEST_CASE("build: the options' runner is the git the build asks for commit, time, source and cleanliness") {
  util::TempDir tmp{"build-fake-git"};
  fs::path manifest = make_project(tmp.path() / "proj");
  fs::path top = fs::canonical(tmp.path() / "proj");
  util::ScopedEnvironment no_epoch{util::Environment{}};  // the commit time must decide
  fake_process::FakeProcessRunner git;
  git.programs = {"git"};
  const std::string commit(40, 'c');
  git.handler = [&](const std::vector<std::string>& argv, const util::ProcessOptions&) {
    auto has = [&](const std::string& word) { return std::find(argv.begin(), argv.end(), word) != argv.end(); };
    if (has("--show-toplevel")) return fake_process::result(0, top.string() + "\n");
    if (has("log")) return fake_process::result(0, commit + " 1700000777\n");
    if (has("get-url")) return fake_process::result(0, "https://user:token@git.example.com/team/hello.git\n");
    if (has("remote")) return fake_process::result(0, "origin\n");
    if (has("status")) return fake_process::result(0, "");  // everything committed
    return fake_process::result(128, "", "fatal: no tag exactly matches\n");
  };
  pipeline::BuildOptions o;
  o.output = tmp.path() / "out";
  o.runner = &git;
  o.require_clean = true;
  pipeline::BuildResult r = build(manifest, o);

  image::LayoutReader layout(r.layout);
  nlohmann::json m = layout.read_json_blob(layout.find_image("1.4.2"));
  nlohmann::json config = layout.read_json_blob(image::Descriptor::from_json(m["config"]));
  CHECK(config["created"] == "2023-11-14T22:26:17Z");  // 1700000777, the fake commit's time
  CHECK(config["config"]["Labels"]["org.opencontainers.image.revision"] == commit);
  CHECK(config["config"]["Labels"]["org.opencontainers.image.source"] == "https://git.example.com/team/hello.git");
  bool asked_status = false;
  for (const auto& call : git.calls) {
    REQUIRE(call.argv.at(0) == "git");
    asked_status = asked_status || std::find(call.argv.begin(), call.argv.end(), "status") != call.argv.end();
  }
  CHECK(asked_status);  // --require-clean went through the same runner

  // A dirty input through the same runner refuses the build.
  git.handler = [&, clean = git.handler](const std::vector<std::string>& argv, const util::ProcessOptions& opts) {
    if (std::find(argv.begin(), argv.end(), "status") != argv.end()) return fake_process::result(0, "?? config/app.conf");
    return clean(argv, opts);
  };
  o.output = tmp.path() / "out2";
  CHECK_THROWS_WITH(build(manifest, o), Catch::Contains("not committed"));
  CHECK(!fs::exists(o.output));
}
