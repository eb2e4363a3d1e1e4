// load_manifest on valid manifests: every field read back, the defaults, and
// paths resolved against the manifest's directory whatever the cwd is.
#include "unit/test_manifest_fixture.hpp"

#include <unistd.h>

using namespace manifest_test;
using Catch::Matchers::Contains;

TEST_CASE("manifest: a full manifest reads back every field") {
  Project p;
  Manifest m = p.load(R"(# every key
name: hello-svc.v2
image: registry.example.com/team/hello:1.4.2
binary:
  path: build/hello
  dest: /usr/local/bin//./hello
entrypoint: [/usr/local/bin/hello, --serve]
cmd: [--port, 8080, true]
libraries: [libnss_dns.so.2, /lib/x86_64-linux-gnu/../x86_64-linux-gnu/libresolv.so.2, libnss_dns.so.2]
files:
  - src: config/
    dest: /etc/hello/
    mode: "0640"
    exclude: ["*.bak", sub/]
  - src: config/app.conf
    dest: //etc/./app.conf
    mode: 0600
user:
  name: svc
  uid: 10001
  gid: 10002
ca_certificates: certs/corp.pem
tzdata: [Europe/Ljubljana, UTC, Europe/Ljubljana]
timezone: America/New_York
env: {LOG_LEVEL: info, WORKERS: 4, DEBUG: false, PATH: /usr/local/bin}
workdir: /srv/data/
ports: [8443/TCP, 3000, "53/udp", 3000, "3000/tcp"]
labels: {org.example.team: payments, org.example.tier: 1}
sysroot: ../sysroot
)");
  CHECK(m.file == p.manifest_path());
  CHECK(m.dir == p.dir);
  CHECK(m.name == "hello-svc.v2");
  REQUIRE(m.image);
  CHECK(*m.image == "registry.example.com/team/hello:1.4.2");
  CHECK(m.image_where.line == 3);
  CHECK(m.binary.path == p.dir / "build/hello");
  CHECK(m.binary.dest == "/usr/local/bin/hello");
  CHECK(m.binary.where.line == 5);
  CHECK(m.binary.where.column == 3);
  CHECK(m.binary.where.file == p.manifest_path().string());
  CHECK(m.entrypoint == std::vector<std::string>{"/usr/local/bin/hello", "--serve"});
  REQUIRE(m.cmd);
  CHECK(*m.cmd == std::vector<std::string>{"--port", "8080", "true"});
  CHECK(m.libraries == std::vector<std::string>{"libnss_dns.so.2", "/lib/x86_64-linux-gnu/libresolv.so.2"});
  CHECK(m.libraries_where.line == 9);

  REQUIRE(m.files.size() == 2);
  CHECK(m.files[0].src == p.dir / "config/");
  CHECK(m.files[0].dest == "/etc/hello");
  CHECK(m.files[0].dest_is_dir);
  CHECK(m.files[0].mode == 0640u);
  CHECK(m.files[0].exclude == std::vector<std::string>{"*.bak", "sub/"});
  CHECK(m.files[0].where.line == 11);
  CHECK(m.files[0].where.column == 5);
  CHECK(m.files[1].src == p.dir / "config/app.conf");
  CHECK(m.files[1].dest == "/etc/app.conf");
  CHECK_FALSE(m.files[1].dest_is_dir);
  CHECK(m.files[1].mode == 0600u);  // unquoted: digits read as octal
  CHECK(m.files[1].where.line == 15);

  CHECK(m.user.name == "svc");
  CHECK(m.user.uid == 10001);
  CHECK(m.user.gid == 10002);
  CHECK(m.user.where.line == 19);
  CHECK(m.ca_certificates.enabled);
  CHECK(m.ca_certificates.bundle == p.dir / "certs/corp.pem");
  CHECK(m.ca_certificates.where.line == 22);
  CHECK_FALSE(m.tzdata.all);
  // Duplicates dropped, and the timezone is implied.
  CHECK(m.tzdata.zones == std::vector<std::string>{"Europe/Ljubljana", "UTC", "America/New_York"});
  REQUIRE(m.timezone);
  CHECK(*m.timezone == "America/New_York");
  CHECK(m.timezone_where.line == 24);
  CHECK(m.env == std::map<std::string, std::string>{
                     {"LOG_LEVEL", "info"}, {"WORKERS", "4"}, {"DEBUG", "false"}, {"PATH", "/usr/local/bin"}});
  REQUIRE(m.workdir);
  CHECK(*m.workdir == "/srv/data");
  CHECK(m.ports == std::vector<std::string>{"53/udp", "3000/tcp", "8443/tcp"});
  CHECK(m.labels == std::map<std::string, std::string>{{"org.example.team", "payments"}, {"org.example.tier", "1"}});
  CHECK(m.sysroot == p.sysroot);
}

TEST_CASE("manifest: defaults for everything optional") {
  Project p;
  Manifest m = p.load("name: hello\nbinary: build/hello\nuser: {uid: 65532}\n");
  CHECK(m.binary.path == p.dir / "build/hello");
  CHECK(m.binary.dest == "/app/hello");
  CHECK(m.binary.where.line == 2);
  CHECK(m.entrypoint == std::vector<std::string>{"/app/hello"});
  CHECK(m.entrypoint_where.line == 0);
  CHECK_FALSE(m.cmd);
  CHECK_FALSE(m.image);
  CHECK(m.libraries.empty());
  CHECK(m.files.empty());
  CHECK(m.user.name == "app");
  CHECK(m.user.uid == 65532);
  CHECK(m.user.gid == 65532);
  CHECK_FALSE(m.ca_certificates.enabled);
  CHECK(m.ca_certificates.bundle.empty());
  CHECK_FALSE(m.tzdata.all);
  CHECK(m.tzdata.zones.empty());
  CHECK_FALSE(m.timezone);
  CHECK(m.env.empty());
  CHECK_FALSE(m.workdir);
  CHECK(m.ports.empty());
  CHECK(m.labels.empty());
  CHECK(m.sysroot == "/");
  CHECK(m.where.line == 1);
}

TEST_CASE("manifest: short and alternative forms") {
  Project p;
  SECTION("dest ending in '/' keeps the binary's name; null values mean the default") {
    Manifest m = p.load(
        "name: hello\nbinary: {path: build/hello, dest: /opt/bin/}\nuser: {uid: 7}\n"
        "cmd: [serve]\nentrypoint:\nca_certificates: true\ntzdata: true\nsysroot: ../sysroot\nfiles:\n");
    CHECK(m.binary.dest == "/opt/bin/hello");
    CHECK(m.entrypoint == std::vector<std::string>{"/opt/bin/hello"});
    CHECK(*m.cmd == std::vector<std::string>{"serve"});
    CHECK(m.ca_certificates.enabled);
    CHECK(m.ca_certificates.bundle.empty());
    CHECK(m.tzdata.all);
    CHECK(m.files.empty());
  }
  SECTION("an empty entrypoint is fine when cmd says what to run; \"0o750\" modes") {
    Manifest m = p.load(
        "name: hello\nbinary: build/hello\nuser: {uid: \"1000\"}\nentrypoint: []\ncmd: [/app/hello]\n"
        "files: [{src: config, dest: /, mode: 0o750}]\ntimezone: UTC\nsysroot: ../sysroot\ntzdata: false\n");
    CHECK(m.entrypoint.empty());
    CHECK(m.user.uid == 1000);
    CHECK(m.files[0].dest == "/");
    CHECK(m.files[0].dest_is_dir);
    CHECK(m.files[0].mode == 0750u);
    CHECK(m.tzdata.zones == std::vector<std::string>{"UTC"});
  }
  SECTION("absolute source paths") {
    Manifest m = p.load("name: hello\nbinary: " + (p.dir / "build/hello").string() + "\nuser: {uid: 7}\n");
    CHECK(m.binary.path == p.dir / "build/hello");
  }
}

TEST_CASE("manifest: sources resolve against the manifest's directory and not the cwd") {
  Project p;
  write(p.manifest_path(), "name: hello\nbinary: build/hello\nfiles: [{src: config, dest: /etc/x/}]\nuser: {uid: 9}\n");
  fs::path old = fs::current_path();
  fs::current_path(p.tmp.path());  // the manifest's directory is proj/, one level down
  struct Restore {
    fs::path dir;
    ~Restore() { fs::current_path(dir); }
  } restore{old};
  Manifest m = slimbuild::manifest::load_manifest("proj/slimbuild.yaml");
  CHECK(m.binary.path == p.dir / "build/hello");
  CHECK(m.files[0].src == p.dir / "config");
  CHECK(m.file == p.manifest_path());
  CHECK(m.binary.where.file == "proj/slimbuild.yaml");  // as the user named it

  // Errors name the file as the user passed it, and explain the base directory.
  write(p.manifest_path(), "name: hello\nbinary: build/missing\nuser: {uid: 9}\n");
  try {
    slimbuild::manifest::load_manifest("proj/slimbuild.yaml");
    FAIL("missing binary accepted");
  } catch (const ManifestError& e) {
    CHECK_THAT(e.what(), Contains("proj/slimbuild.yaml:2:9: binary 'build/missing' does not exist"));
    CHECK_THAT(e.what(), Contains((p.dir / "build/missing").string()));
    CHECK_THAT(e.hint(), Contains(p.dir.string()));
  }
}

TEST_CASE("manifest: parse_manifest reads text as if it came from the named file") {
  Project p;
  Manifest m = slimbuild::manifest::parse_manifest("name: x\nbinary: build/hello\nuser: {uid: 5}\n",
                                                   p.dir / "virtual.yaml");
  CHECK(m.binary.path == p.dir / "build/hello");
  CHECK(m.file == p.dir / "virtual.yaml");
}

TEST_CASE("manifest: the examples in docs/manifest.md are valid") {
  std::string doc = slimbuild::util::read_file(fs::path(SLIMBUILD_SOURCE_DIR) / "docs/manifest.md");
  std::vector<std::string> examples;
  for (std::size_t at = doc.find("```yaml\n"); at != std::string::npos; at = doc.find("```yaml\n", at)) {
    at += 8;
    examples.push_back(doc.substr(at, doc.find("```", at) - at));
  }
  REQUIRE(examples.size() == 4);
  Project p;
  write(p.dir / "VERSION", "1.4.2\n");
  // The zones come from the test's own tz database, not the machine's.
  std::string full = examples[0];
  full.replace(full.find("sysroot: /"), 10, "sysroot: ../sysroot");
  write(p.sysroot / "etc/ssl/certs/ca-certificates.crt", "-----BEGIN CERTIFICATE-----\n");
  Manifest m = p.load(full);
  CHECK(m.name == "hello");
  CHECK(m.entrypoint == std::vector<std::string>{"/app/hello", "--serve"});
  CHECK(m.files.size() == 2);
  CHECK(m.tzdata.zones == std::vector<std::string>{"Europe/Ljubljana", "UTC"});
  CHECK(m.ports == std::vector<std::string>{"53/udp", "3000/tcp", "8443/tcp"});

  Manifest small = p.load(examples[1]);
  CHECK(small.binary.dest == "/app/hello");

  // The platforms: fragment, completed with the keys it leaves out.
  std::string multi = examples[2];
  multi.replace(multi.find("/srv/sysroot-arm64"), 18, "../sysroot");
  write(p.dir / "build/amd64/hello", "\x7f" "ELF");
  write(p.dir / "build/arm64/hello", "\x7f" "ELF");
  Manifest platforms = p.load("name: hello\nuser: {uid: 65532}\n" + multi);
  REQUIRE(platforms.platforms.size() == 2);
  CHECK(platforms.platforms[1].sysroot == p.sysroot);

  Manifest runtime = p.load(examples[3]);
  CHECK(runtime.stop_signal == "SIGINT");
  CHECK(runtime.volumes == std::vector<std::string>{"/var/lib/app"});
  CHECK(runtime.writable == std::vector<std::string>{"/var/lib/app"});
  CHECK(runtime.capabilities == std::vector<std::string>{"net_bind_service"});
  CHECK(runtime.annotations.at("org.example.owner") == "payments");
  CHECK(runtime.arbitrary_uid);
}
