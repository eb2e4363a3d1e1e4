// Credential lookup: docker config.json variants, podman auth.json, host
// matching, and credential helpers: a script docker-credential-* on PATH, and
// a fake ProcessRunner for helpers that print garbage, fail or hang.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>

#include <slimbuild/registry/credentials.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/fs.hpp>

#include "unit/fake_process_runner.hpp"

using namespace slimbuild;
using namespace slimbuild::registry;

namespace {

void write(const fs::path& p, const std::string& s, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
  fs::permissions(p, perms);
}

std::optional<Credentials> find(const std::string& registry, const std::vector<fs::path>& files) {
  auto r = lookup_credentials(registry, files);
  if (!r) FAIL(r.error().what());
  return *r;
}

// Puts `dir` first on PATH for the lifetime of the object: in slimbuild's
// environment (where helpers are looked up) and in the process's (which
// the helper's exec searches).
struct PathPrepend {
  std::string old;
  std::string path;
  util::ScopedEnvironment env;
  explicit PathPrepend(const fs::path& dir)
      : old(std::getenv("PATH") ? std::getenv("PATH") : ""),
        path(dir.string() + ":" + old),
        env(util::environment().with("PATH", path)) {
    ::setenv("PATH", path.c_str(), 1);
  }
  ~PathPrepend() { ::setenv("PATH", old.c_str(), 1); }
};

}  // namespace

TEST_CASE("registry: config keys are normalised as docker does") {
  CHECK(normalize_auth_key("https://index.docker.io/v1/") == "docker.io");
  CHECK(normalize_auth_key("registry-1.docker.io") == "docker.io");
  CHECK(normalize_auth_key("http://localhost:5000/v2/") == "localhost:5000");
  CHECK(normalize_auth_key("Registry.Example.com") == "registry.example.com");
  CHECK(normalize_auth_key("127.0.0.1:5000") == "127.0.0.1:5000");
  CHECK(credential_server_url("docker.io") == "https://index.docker.io/v1/");
  CHECK(credential_server_url("ghcr.io") == "ghcr.io");
}

TEST_CASE("registry: auths entries: base64 auth, username/password, identitytoken") {
  util::TempDir tmp("registry-creds");
  fs::path cfg = tmp.path() / "config.json";
  write(cfg, R"({"auths": {
      "https://index.docker.io/v1/": {"auth": "aHViLXVzZXI6aHViOnBhc3M="},
      "localhost:5000": {"username": "u5000", "password": "p5000"},
      "https://reg.example.com/v2/": {"identitytoken": "refresh-abc"},
      "empty.example.com": {}
  }})");
  auto hub = find("docker.io", {cfg});
  REQUIRE(hub);
  CHECK(hub->username == "hub-user");
  CHECK(hub->password == "hub:pass");  // only the first ':' separates
  CHECK(hub->source == cfg.string());

  auto local = find("localhost:5000", {cfg});
  REQUIRE(local);
  CHECK(local->username == "u5000");
  CHECK(local->password == "p5000");

  auto idp = find("reg.example.com", {cfg});
  REQUIRE(idp);
  CHECK(idp->identity_token == "refresh-abc");

  CHECK_FALSE(find("localhost:5001", {cfg}));  // the port is part of the key
  CHECK_FALSE(find("localhost", {cfg}));
  CHECK_FALSE(find("empty.example.com", {cfg}));
  CHECK_FALSE(find("localhost:5000", {tmp.path() / "missing.json"}));
}

TEST_CASE("registry: the first auth file with an entry wins") {
  util::TempDir tmp("registry-creds");
  fs::path podman = tmp.path() / "auth.json", docker = tmp.path() / "config.json";
  write(podman, R"({"auths": {"a.example": {"auth": "cG9kbWFuOnB3"}}})");
  write(docker, R"({"auths": {"a.example": {"auth": "ZG9ja2VyOnB3"}, "b.example": {"auth": "ZG9ja2VyOmI="}}})");
  CHECK(find("a.example", {podman, docker})->username == "podman");
  CHECK(find("b.example", {podman, docker})->username == "docker");
}

TEST_CASE("registry: broken config files are clear errors without secrets") {
  util::TempDir tmp("registry-creds");
  fs::path cfg = tmp.path() / "config.json";
  write(cfg, "{not json");
  auto r = lookup_credentials("x.example", {cfg});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().what(), Catch::Contains("config.json") && Catch::Contains("not valid JSON"));

  write(cfg, R"({"auths": {"x.example": {"auth": "c2VjcmV0LXdpdGhvdXQtY29sb24="}}})");
  r = lookup_credentials("x.example", {cfg});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().what(), Catch::Contains("user:password"));
  CHECK_THAT(r.error().what(), !Catch::Contains("secret-without-colon") && !Catch::Contains("c2VjcmV0"));

  write(cfg, R"({"auths": {"x.example": {"auth": "!!!not base64!!!"}}})");
  CHECK_FALSE(lookup_credentials("x.example", {cfg}));
}

TEST_CASE("registry: credHelpers and credsStore run docker-credential-NAME get") {
  util::TempDir tmp("registry-creds");
  fs::path bin = tmp.path() / "bin";
  // Answers for one server URL (read from stdin), "not found" for others.
  write(bin / "docker-credential-test",
        "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r server\n"
        "case \"$server\" in\n"
        "  helper.example:5000) echo '{\"ServerURL\":\"x\",\"Username\":\"hu\",\"Secret\":\"hs\"}' ;;\n"
        "  https://index.docker.io/v1/) echo '{\"ServerURL\":\"x\",\"Username\":\"<token>\",\"Secret\":\"idtok\"}' ;;\n"
        "  broken.example) echo 'garbage' ;;\n"
        "  crash.example) echo 'boom' >&2; exit 2 ;;\n"
        "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
        "esac\n",
        fs::perms::owner_all);
  PathPrepend path(bin);
  fs::path cfg = tmp.path() / "config.json";
  write(cfg, R"({"credHelpers": {"https://helper.example:5000": "test"}, "credsStore": "test",
                 "auths": {"inline.example": {"auth": "aW46bGluZQ=="}}})");

  auto h = find("helper.example:5000", {cfg});
  REQUIRE(h);
  CHECK(h->username == "hu");
  CHECK(h->password == "hs");
  CHECK(h->source == "docker-credential-test");

  auto hub = find("docker.io", {cfg});  // via credsStore, with Docker Hub's legacy URL
  REQUIRE(hub);
  CHECK(hub->identity_token == "idtok");
  CHECK(hub->username.empty());

  auto inline_entry = find("inline.example", {cfg});  // store says not found: inline entry used
  REQUIRE(inline_entry);
  CHECK(inline_entry->username == "in");

  CHECK_FALSE(find("nothing.example", {cfg}));

  auto broken = lookup_credentials("broken.example", {cfg});
  REQUIRE_FALSE(broken);
  CHECK_THAT(broken.error().what(), Catch::Contains("docker-credential-test"));
  auto crash = lookup_credentials("crash.example", {cfg});
  REQUIRE_FALSE(crash);
  CHECK_THAT(crash.error().what(), Catch::Contains("exit code 2"));

  // A helper named for this very host must work; a global store that is gone is skipped.
  write(cfg, R"({"credHelpers": {"x.example": "does-not-exist-anywhere"}})");
  auto missing = lookup_credentials("x.example", {cfg});
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().what(), Catch::Contains("not found in PATH"));
  CHECK_THAT(missing.error().what(), Catch::Contains("credHelpers[\"x.example\"] in " + cfg.string()));
  write(cfg, R"({"credsStore": "does-not-exist-anywhere", "auths": {"y.example": {"auth": "eTpw"}}})");
  CHECK_FALSE(find("x.example", {cfg}));
  auto y = find("y.example", {cfg});
  REQUIRE(y);
  CHECK(y->username == "y");
}

TEST_CASE("registry: auth file candidates follow the environment") {
  {
    util::ScopedEnvironment env{
        {{"REGISTRY_AUTH_FILE", "/a/auth.json"}, {"XDG_RUNTIME_DIR", "/run/user/7"}, {"DOCKER_CONFIG", "/d"}}};
    auto files = auth_file_candidates();
    REQUIRE(files.size() == 3);
    CHECK(files[0] == "/a/auth.json");
    CHECK(files[1] == "/run/user/7/containers/auth.json");
    CHECK(files[2] == "/d/config.json");
  }
  util::ScopedEnvironment env{util::Environment().with("HOME", "/home/u")};
  auto files = auth_file_candidates();
  REQUIRE(files.size() == 1);
  CHECK(files[0] == "/home/u/.docker/config.json");
}

namespace {

// A config whose credHelpers send reg.example to docker-credential-fake,
// and the fake runner that answers for it.
struct FakeHelper {
  util::TempDir tmp{"registry-creds-fake"};
  fs::path cfg = tmp.path() / "config.json";
  fake_process::FakeProcessRunner runner;
  FakeHelper() {
    write(cfg, R"({"credHelpers": {"reg.example": "fake"}})");
    runner.programs = {"docker-credential-fake"};
  }
  Result<std::optional<Credentials>> lookup() { return lookup_credentials("reg.example", {cfg}, runner); }
};

}  // namespace

TEST_CASE("registry: a credential helper runs through the process runner with the server on stdin and a deadline") {
  FakeHelper f;
  f.runner.handler = [](const auto&, const auto&) {
    return fake_process::result(0, R"({"ServerURL":"reg.example","Username":"u","Secret":"s3cret"})");
  };
  auto c = f.lookup();
  REQUIRE(c);
  REQUIRE(*c);
  CHECK((*c)->username == "u");
  CHECK((*c)->password == "s3cret");
  REQUIRE(f.runner.calls.size() == 1);
  CHECK(f.runner.calls[0].argv == std::vector<std::string>{"docker-credential-fake", "get"});
  CHECK(f.runner.calls[0].options.input == "reg.example\n");
  REQUIRE(f.runner.calls[0].options.timeout);
  CHECK(f.runner.calls[0].options.timeout->count() == 60'000);
}

TEST_CASE("registry: a credential helper that prints garbage, fails or hangs is a clear error without secrets") {
  FakeHelper f;
  fake_process::ProcessResult answer;
  f.runner.handler = [&](const auto&, const auto&) { return answer; };
  auto error_of = [&] {
    auto c = f.lookup();
    REQUIRE_FALSE(c);
    std::string what = c.error().what();
    CHECK_THAT(what, Catch::Contains("docker-credential-fake") && Catch::Contains("credHelpers[\"reg.example\"]"));
    CHECK_THAT(what, !Catch::Contains("s3cret"));
    CHECK_THAT(c.error().hint(), Catch::Contains("echo reg.example | docker-credential-fake get"));
    return what;
  };

  answer = fake_process::result(0, R"({"Username":"u","Secret":42,"Password":"s3cret"})");
  CHECK_THAT(error_of(), Catch::Contains("did not print a JSON object with a Secret"));
  answer = fake_process::result(0, "s3cret\n");
  CHECK_THAT(error_of(), Catch::Contains("did not print a JSON object with a Secret"));

  answer = fake_process::result(1, "", "error getting credentials - err: exit status 1, out: `s3cret`");
  CHECK_THAT(error_of(), Catch::Contains("failed with exit code 1"));

  answer = fake_process::result(137, "", "");
  answer.timed_out = true;
  CHECK_THAT(error_of(), Catch::Contains("did not answer within 60 seconds"));

  answer = fake_process::result(-1, "", "cannot run docker-credential-fake: Permission denied");
  CHECK_THAT(error_of(), Catch::Contains("could not be started: cannot run docker-credential-fake: Permission denied"));

  // "not found" is a miss, not an error: the lookup goes on (and finds nothing).
  answer = fake_process::result(1, "credentials not found in native keychain\n");
  auto miss = f.lookup();
  REQUIRE(miss);
  CHECK_FALSE(*miss);
}

TEST_CASE("registry: a credsStore the runner cannot find is skipped for the inline entry; never run") {
  FakeHelper f;
  write(f.cfg, R"({"credsStore": "gone", "auths": {"reg.example": {"auth": "dTpw"}}})");
  auto c = f.lookup();
  REQUIRE(c);
  REQUIRE(*c);
  CHECK((*c)->username == "u");
  CHECK(f.runner.calls.empty());
}
