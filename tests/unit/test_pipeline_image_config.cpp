// Manifest -> image config and annotations: env defaults and overrides,
// entrypoint, user, labels, platform, and reference tags.
#include <catch2/catch.hpp>

#include <algorithm>

#include <slimbuild/manifest/manifest.hpp>
#include "pipeline/image_config.hpp"
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;

TEST_CASE("build: reference_tag takes the tag after the last slash and ignores digests") {
  CHECK(pipeline::reference_tag("registry.example.com/team/hello:1.4.2").value() == "1.4.2");
  CHECK(pipeline::reference_tag("127.0.0.1:5000/team/hello:v1").value() == "v1");
  CHECK_FALSE(pipeline::reference_tag("127.0.0.1:5000/team/hello"));
  CHECK_FALSE(pipeline::reference_tag("hello"));
  CHECK_FALSE(pipeline::reference_tag("hello@sha256:" + std::string(64, 'a')));
  CHECK(pipeline::reference_tag("reg:5000/hello:2.0@sha256:" + std::string(64, 'a')).value() == "2.0");
  CHECK_THROWS_WITH(pipeline::reference_tag("hello:-bad"), Catch::Contains("not a valid image tag"));
  CHECK_THROWS_AS(pipeline::reference_tag("hello:" + std::string(129, 'a')), Error);
  CHECK_THROWS_AS(pipeline::reference_tag("hello:a/b:c d"), Error);
}

TEST_CASE("build: the config carries user, sorted env with manifest overrides, entrypoint and labels") {
  auto m = rootfs_test::minimal_manifest("/src");
  m.user = {"web", 1000, 2000, {}};
  m.ca_certificates.enabled = true;
  m.timezone = "Europe/Ljubljana";
  m.env = {{"LOG_LEVEL", "info"}, {"PATH", "/app:/usr/bin"}};
  m.entrypoint = {"/app/hello", "--serve"};
  m.cmd = std::vector<std::string>{"--port", "3000"};
  m.workdir = "/app";
  m.ports = {"3000/tcp", "53/udp"};
  m.labels = {{"org.example.team", "payments"}, {"org.opencontainers.image.title", "custom"}};
  trace::TraceResult t;
  t.binary.elf.machine = 62;  // EM_X86_64

  auto ann = pipeline::standard_annotations(m, std::nullopt, std::string("1.2"), 1700000000);
  CHECK(ann.at("org.opencontainers.image.created") == "2023-11-14T22:13:20Z");
  CHECK(ann.at("org.opencontainers.image.title") == "hello");
  CHECK(ann.at("org.opencontainers.image.version") == "1.2");
  CHECK_FALSE(ann.count("org.opencontainers.image.revision"));

  image::ImageConfigSpec c = pipeline::make_image_config(m, t, ann, 1700000000);
  CHECK(c.architecture == "amd64");
  CHECK(c.os == "linux");
  CHECK(c.user == "1000:2000");
  CHECK(c.env == std::vector<std::string>{"HOME=/home/web", "LOG_LEVEL=info", "PATH=/app:/usr/bin",
                                          "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                                          "TZ=Europe/Ljubljana"});
  CHECK(c.entrypoint == std::vector<std::string>{"/app/hello", "--serve"});
  CHECK(c.cmd == std::vector<std::string>{"--port", "3000"});
  CHECK(c.working_dir == "/app");
  CHECK(c.exposed_ports == std::vector<std::string>{"3000/tcp", "53/udp"});
  CHECK(c.labels.at("org.example.team") == "payments");
  CHECK(c.labels.at("org.opencontainers.image.title") == "custom");  // the user wins
  CHECK(c.labels.at("org.opencontainers.image.version") == "1.2");
  CHECK(c.created == 1700000000);
}

TEST_CASE("build: defaults: docker's PATH, no CA/TZ env, entrypoint = binary, no workdir") {
  auto m = rootfs_test::minimal_manifest("/src");
  m.entrypoint.clear();
  trace::TraceResult t;
  t.binary.elf.machine = 183;  // EM_AARCH64
  auto c = pipeline::make_image_config(m, t, {}, 0);
  CHECK(c.architecture == "arm64");
  CHECK(c.env == std::vector<std::string>{"HOME=/home/app", std::string("PATH=") + pipeline::kDefaultPath});
  CHECK(c.entrypoint == std::vector<std::string>{"/app/hello"});
  CHECK_FALSE(c.cmd);
  CHECK(c.working_dir.empty());
}

TEST_CASE("build: an explicit empty entrypoint with a cmd stays empty") {
  auto m = rootfs_test::minimal_manifest("/src");
  m.entrypoint.clear();
  m.cmd = std::vector<std::string>{"/app/hello", "x"};
  trace::TraceResult t;
  t.binary.elf.machine = 62;
  auto c = pipeline::make_image_config(m, t, {}, 0);
  CHECK(c.entrypoint.empty());  // not [/app/hello] + cmd = "/app/hello /app/hello x"
  CHECK(c.cmd == std::vector<std::string>{"/app/hello", "x"});
}

TEST_CASE("build: libraries found only through ld.so.conf get LD_LIBRARY_PATH, the user's value wins") {
  auto m = rootfs_test::minimal_manifest("/src");
  trace::TraceResult t;
  t.binary.elf.machine = 62;
  auto lib = [](std::string path, trace::FoundVia via) {
    trace::TracedObject o;
    o.image_path = std::move(path);
    o.found_via = via;
    return o;
  };
  t.libraries = {lib("/usr/local/lib/libfoo.so.1", trace::FoundVia::LdSoConf), lib("/lib/x86_64-linux-gnu/libc.so.6", trace::FoundVia::Default),
                 lib("/opt/vendor/lib/libbar.so.2", trace::FoundVia::LdSoConf), lib("/usr/local/lib/libbaz.so.3", trace::FoundVia::LdSoConf)};
  auto c = pipeline::make_image_config(m, t, {}, 0);
  CHECK(std::find(c.env.begin(), c.env.end(), "LD_LIBRARY_PATH=/usr/local/lib:/opt/vendor/lib") != c.env.end());

  m.env["LD_LIBRARY_PATH"] = "/mine";
  c = pipeline::make_image_config(m, t, {}, 0);
  CHECK(std::find(c.env.begin(), c.env.end(), "LD_LIBRARY_PATH=/mine") != c.env.end());

  t.libraries.clear();
  m.env.clear();
  c = pipeline::make_image_config(m, t, {}, 0);
  for (const auto& e : c.env) CHECK(e.rfind("LD_LIBRARY_PATH=", 0) != 0);
}

TEST_CASE("build: git provides revision, source and version annotations") {
  auto m = rootfs_test::minimal_manifest("/src");
  provenance::GitInfo git;
  git.commit = std::string(40, 'c');
  git.source_url = "https://example.com/team/app.git";
  git.tag = "v3.1.0";
  auto a = pipeline::standard_annotations(m, git, std::nullopt, 0);
  CHECK(a.at("org.opencontainers.image.revision") == git.commit);
  CHECK(a.at("org.opencontainers.image.source") == git.source_url);
  CHECK(a.at("org.opencontainers.image.version") == "v3.1.0");
  CHECK(a.at("org.opencontainers.image.created") == "1970-01-01T00:00:00Z");
  // An explicit tag beats the git tag; "latest" is no version.
  CHECK(pipeline::standard_annotations(m, git, std::string("9"), 0).at("org.opencontainers.image.version") == "9");
  CHECK(pipeline::standard_annotations(m, git, std::string("latest"), 0).at("org.opencontainers.image.version") ==
        "v3.1.0");
}
