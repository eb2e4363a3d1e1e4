// `platforms:` in the manifest: entries read back with their own sysroot,
// libraries and files; for_platform() gives each entry an ordinary
// single-image manifest; platform names, duplicates and the mix with
// `binary:` are refused with located messages.
#include "unit/test_manifest_fixture.hpp"

using namespace manifest_test;
using Catch::Matchers::Contains;
using slimbuild::manifest::for_platform;
using slimbuild::manifest::parse_platform;

namespace {

const char* kTwo = R"(name: hello
platforms:
  - {platform: linux/amd64, binary: build/hello}
  - platform: linux/arm64
    binary: {path: build/arm64/hello, dest: /app/hello}
    sysroot: ../sysroot
    libraries: [libnss_dns.so.2, libz.so.1]
    files: [{src: config/app.conf, dest: /etc/arm64.conf}]
libraries: [libz.so.1]
files: [{src: config/app.conf, dest: /etc/app.conf}]
user: {uid: 65532}
)";

}  // namespace

TEST_CASE("manifest platforms: entries read back, shared keys stay shared") {
  Project p;
  write(p.dir / "build/arm64/hello", "\x7f" "ELF arm64");
  Manifest m = p.load(kTwo);
  REQUIRE(m.platforms.size() == 2);
  CHECK(m.binary.path.empty());
  CHECK(m.platforms[0].platform.str() == "linux/amd64");
  CHECK(m.platforms[0].binary.dest == "/app/hello");
  CHECK_FALSE(m.platforms[0].sysroot);
  CHECK(m.platforms[0].where.line == 3);
  const auto& arm = m.platforms[1];
  CHECK(arm.platform.architecture == "arm64");
  CHECK(arm.platform.variant.empty());
  CHECK(arm.binary.path == p.dir / "build/arm64/hello");
  CHECK(arm.sysroot == p.sysroot);
  CHECK(arm.libraries == std::vector<std::string>{"libnss_dns.so.2", "libz.so.1"});
  REQUIRE(arm.files.size() == 1);

  Manifest amd = for_platform(m, m.platforms[0]);
  CHECK(amd.platforms.empty());
  CHECK(amd.platform->str() == "linux/amd64");
  CHECK(amd.binary.path == p.dir / "build/hello");
  CHECK(amd.entrypoint == std::vector<std::string>{"/app/hello"});
  CHECK(amd.sysroot == "/");
  CHECK(amd.libraries == std::vector<std::string>{"libz.so.1"});
  CHECK(amd.files.size() == 1);

  Manifest a64 = for_platform(m, arm);
  CHECK(a64.sysroot == p.sysroot);
  CHECK(a64.libraries == std::vector<std::string>{"libz.so.1", "libnss_dns.so.2"});  // shared first, no repeats
  REQUIRE(a64.files.size() == 2);
  CHECK(a64.files[1].dest == "/etc/arm64.conf");
  CHECK(a64.platform_where.line == 4);
}

TEST_CASE("manifest platforms: an explicit entrypoint is shared, the default follows each binary") {
  Project p;
  write(p.dir / "build/arm64/hello", "\x7f" "ELF arm64");
  Manifest m = p.load(R"(name: hello
platforms:
  - {platform: linux/amd64, binary: {path: build/hello, dest: /usr/bin/hello}}
  - {platform: linux/arm64, binary: build/arm64/hello}
user: {uid: 1}
)");
  CHECK(for_platform(m, m.platforms[0]).entrypoint == std::vector<std::string>{"/usr/bin/hello"});
  CHECK(for_platform(m, m.platforms[1]).entrypoint == std::vector<std::string>{"/app/hello"});
  Manifest e = p.load(R"(name: hello
platforms: [{platform: linux/arm64, binary: build/hello}]
entrypoint: [/app/hello, --serve]
user: {uid: 1}
)");
  CHECK(for_platform(e, e.platforms[0]).entrypoint == std::vector<std::string>{"/app/hello", "--serve"});
}

TEST_CASE("manifest platforms: platform names") {
  CHECK(parse_platform("linux/arm64")->str() == "linux/arm64");
  CHECK(parse_platform("linux/arm64/v8")->variant == "v8");
  CHECK(parse_platform("linux/arm/v6")->variant == "v6");
  CHECK(parse_platform("linux/386")->architecture == "386");
  CHECK_THAT(parse_platform("linux").error(), Contains("is not os/architecture[/variant]"));
  CHECK_THAT(parse_platform("linux/arm64/").error(), Contains("is not os/architecture"));
  CHECK_THAT(parse_platform("windows/amd64").error(), Contains("os 'windows' is not supported"));
  CHECK_THAT(parse_platform("linux/aarch64").error(), Contains("unknown architecture 'aarch64'"));
  CHECK_THAT(parse_platform("linux/amd64/v3").error(), Contains("amd64 has no variant 'v3' (it takes none)"));
  CHECK_THAT(parse_platform("linux/arm/v9").error(), Contains("(known: v5, v6, v7, v8)"));
}

TEST_CASE("manifest platforms: mistakes are located errors") {
  Project p;
  auto e = p.error(R"(name: hello
binary: build/hello
platforms:
  - {platform: linux/amd64, binary: build/hello}
  - {platform: linux/amd64, binary: build/hello}
  - {platform: linux/aarch64, binary: build/missing}
  - {platform: linux/arm64}
  - {platform: linux/arm/v7, binary: build/hello, sysroot: nowhere, plaform: x}
user: {uid: 1}
)");
  std::string msg = e.what();
  CHECK_THAT(msg, Contains(":2:9: binary and platforms are both given"));
  CHECK_THAT(msg, Contains(":5:16: platforms[1] repeats linux/amd64 (first at "));
  CHECK_THAT(msg, Contains(":6:16: platforms[2].platform 'linux/aarch64': unknown architecture"));
  CHECK_THAT(msg, Contains("platforms[2].binary 'build/missing' does not exist"));
  CHECK_THAT(msg, Contains("platforms[3] is missing the required key 'binary'"));
  CHECK_THAT(msg, Contains("platforms[4].sysroot 'nowhere' does not exist"));
  CHECK_THAT(msg, Contains("unknown key 'plaform'"));

  CHECK_THAT(p.error("name: a\nplatforms: []\nuser: {uid: 1}\n").what(),
             Contains("platforms must be a non-empty list"));
  CHECK_THAT(p.error("name: a\nuser: {uid: 1}\n").what(), Contains("missing the required key 'binary'"));
}
