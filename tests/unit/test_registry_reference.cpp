// Reference parsing: docker's normalisation rules and its error cases.
#include <catch2/catch.hpp>

#include <slimbuild/registry/reference.hpp>

using slimbuild::registry::parse_reference;
using slimbuild::registry::Reference;

namespace {
Reference ok(const std::string& s) {
  auto r = parse_reference(s);
  if (!r) FAIL(s << ": " << r.error().what());
  return *r;
}
std::string err(const std::string& s) {
  auto r = parse_reference(s);
  REQUIRE_FALSE(r);
  return r.error().what();
}
const std::string kDigest = "sha256:" + std::string(64, 'a');
}  // namespace

TEST_CASE("registry: bare names go to Docker Hub's library namespace") {
  auto r = ok("ubuntu");
  CHECK(r.registry == "docker.io");
  CHECK(r.repository == "library/ubuntu");
  CHECK_FALSE(r.tag);
  CHECK(r.manifest_ref() == "latest");
  CHECK(r.api_host() == "registry-1.docker.io");
  CHECK(r.str() == "docker.io/library/ubuntu");

  auto u = ok("docker.io/library/ubuntu:22.04");
  CHECK(u.registry == "docker.io");
  CHECK(u.repository == "library/ubuntu");
  CHECK(u.tag == "22.04");

  CHECK(ok("user/app").repository == "user/app");  // a namespace, not a host
  CHECK(ok("user/app").registry == "docker.io");
  CHECK(ok("index.docker.io/foo").repository == "library/foo");
  CHECK(ok("docker.io/foo").registry == "docker.io");
}

TEST_CASE("registry: hosts, ports, IPs and localhost are registries") {
  auto r = ok("localhost:5000/a/b@" + kDigest);
  CHECK(r.registry == "localhost:5000");
  CHECK(r.repository == "a/b");
  CHECK(r.digest == kDigest);
  CHECK_FALSE(r.tag);
  CHECK(r.manifest_ref() == kDigest);

  CHECK(ok("localhost/app").registry == "localhost");
  CHECK(ok("127.0.0.1:5000/team/app:1.0").registry == "127.0.0.1:5000");
  CHECK(ok("registry.example.com/team/app").api_host() == "registry.example.com");
  CHECK(ok("[::1]:5000/app").registry == "[::1]:5000");
  CHECK(ok("my-host.example.com:443/a/b/c/d").repository == "a/b/c/d");
}

TEST_CASE("registry: tag and digest together") {
  auto r = ok("127.0.0.1:5000/app:1.2@" + kDigest);
  CHECK(r.tag == "1.2");
  CHECK(r.digest == kDigest);
  CHECK(r.manifest_ref() == kDigest);
  CHECK(r.str() == "127.0.0.1:5000/app:1.2@" + kDigest);
}

TEST_CASE("registry: repository path components follow distribution's grammar") {
  CHECK(ok("a/b_c/d__e/f-g/h---i/j.k").repository == "a/b_c/d__e/f-g/h---i/j.k");
  CHECK_FALSE(parse_reference("a/b..c"));
  CHECK_FALSE(parse_reference("a/_b"));
  CHECK_FALSE(parse_reference("a/b-"));
  CHECK_FALSE(parse_reference("a//b"));
  CHECK_FALSE(parse_reference("a/b___c"));
}

TEST_CASE("registry: invalid references are refused with a reason") {
  CHECK_THAT(err("Host/UPPER"), Catch::Contains("lowercase"));
  CHECK_THAT(err("UPPER"), Catch::Contains("lowercase"));
  CHECK_THAT(err(""), Catch::Contains("empty"));
  CHECK_THAT(err("app@sha256:abc"), Catch::Contains("digest"));
  CHECK_THAT(err("app@md5:" + std::string(32, 'a')), Catch::Contains("digest"));
  CHECK_THAT(err("app:" + std::string(129, 'a')), Catch::Contains("tag"));
  CHECK_THAT(err("app:-bad"), Catch::Contains("tag"));
  CHECK_THAT(err("https://host/app"), Catch::Contains("scheme"));
  CHECK_THAT(err("host:port/app"), Catch::Contains("registry host"));
  CHECK_THAT(err("-host.com/app"), Catch::Contains("registry host"));
  CHECK_THAT(err("a b"), Catch::Contains("whitespace"));
  CHECK_THAT(err("localhost:5000/"), Catch::Contains("missing"));
  CHECK_THAT(err(std::string(300, 'a')), Catch::Contains("255"));
  CHECK_THAT(err(std::string(100000, 'a')), Catch::Contains("too long"));
  CHECK(parse_reference("BAD").error().exit_code() == slimbuild::kExitUsage);
  std::string nul("app\0x", 5);
  CHECK_FALSE(parse_reference(nul));
}

TEST_CASE("registry: loopback registries are recognised for hints") {
  using slimbuild::registry::is_loopback_registry;
  CHECK(is_loopback_registry("localhost:5000"));
  CHECK(is_loopback_registry("127.0.0.1:5000"));
  CHECK(is_loopback_registry("[::1]:5000"));
  CHECK_FALSE(is_loopback_registry("registry.example.com"));
}
