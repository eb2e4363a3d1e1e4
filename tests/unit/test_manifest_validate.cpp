// The pure value rules (names, image paths, modes, ports) and the edit
// distance behind "did you mean", checked as tables of inputs and outputs.
#include <catch2/catch.hpp>

#include <slimbuild/manifest/did_you_mean.hpp>
#include "manifest/validate.hpp"
#include "manifest/zoneinfo.hpp"
#include "unit/test_manifest_fixture.hpp"

using namespace slimbuild::manifest;
using Catch::Matchers::Contains;

TEST_CASE("manifest: edit distance counts a transposition as one edit") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("name", "name") == 0);
  CHECK(edit_distance("nmae", "name") == 1);         // swap
  CHECK(edit_distance("entyrpoint", "entrypoint") == 1);
  CHECK(edit_distance("nam", "name") == 1);          // insert
  CHECK(edit_distance("names", "name") == 1);        // delete
  CHECK(edit_distance("nane", "name") == 1);         // substitute
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("manifest: did_you_mean picks a plausible candidate or none") {
  const std::vector<std::string> keys = {"name", "image", "binary", "entrypoint", "cmd", "user", "env", "ports"};
  CHECK(did_you_mean("entrypiont", keys) == "entrypoint");
  CHECK(did_you_mean("ENV", keys) == "env");          // case-insensitive first
  CHECK(did_you_mean("binray", keys) == "binary");
  CHECK(did_you_mean("port", keys) == "ports");
  CHECK(did_you_mean("x", keys) == std::nullopt);     // too short to be "close" to anything
  CHECK(did_you_mean("totally-else", keys) == std::nullopt);
  CHECK(did_you_mean(std::string(10000, 'a'), keys) == std::nullopt);
  CHECK(quoted_list({"a", "b", "c"}) == "'a', 'b' or 'c'");
  CHECK(quoted_list({"a"}) == "'a'");
}

TEST_CASE("manifest: image paths are normalised and kept inside the root") {
  CHECK(normalise_image_path("/") == "/");
  CHECK(normalise_image_path("//a/./b/") == "/a/b");
  CHECK(normalise_image_path("/a/b/../c") == "/a/c");
  CHECK(normalise_image_path("/a/..") == "/");
  CHECK(normalise_image_path("/a/...") == "/a/...");  // a name, not a parent
  auto climb = normalise_image_path("/../../etc/x");
  REQUIRE_FALSE(climb);
  CHECK_THAT(climb.error().message, Contains("may not climb out of the image root"));
  CHECK_FALSE(normalise_image_path("/a/../../b"));
  auto relative = normalise_image_path("etc/x");
  REQUIRE_FALSE(relative);
  CHECK_THAT(relative.error().message, Contains("must be an absolute path"));
  CHECK_FALSE(normalise_image_path(""));
  CHECK_FALSE(normalise_image_path(std::string("/a\0b", 4)));
  CHECK_FALSE(normalise_image_path("/a\nb"));
}

TEST_CASE("manifest: runtime mount points are recognised by whole components") {
  for (const char* hidden : {"/proc", "/proc/x", "/sys/fs/y", "/dev", "/dev/null"}) CHECK(check_not_runtime_mount(hidden));
  for (const char* fine : {"/", "/process", "/system/x", "/devices", "/app/dev", "/etc/proc"})
    CHECK_FALSE(check_not_runtime_mount(fine));
}

TEST_CASE("manifest: modes are octal permission bits only") {
  CHECK(parse_mode("0640") == 0640u);
  CHECK(parse_mode("640") == 0640u);
  CHECK(parse_mode("0o755") == 0755u);
  CHECK(parse_mode("0") == 0u);
  CHECK(parse_mode("0000777") == 0777u);
  CHECK_THAT(parse_mode("77777777777777777777777").error().message, Contains("more than 07777"));
  for (const char* bad : {"", "0648", "9", "rwx", "0x1ff", "-644", "0o", "1234567"})
    CHECK_FALSE(parse_mode(bad));
  CHECK_THAT(parse_mode("10000").error().message, Contains("more than 07777"));
  for (const char* special : {"4755", "2755", "1777", "6755", "07000"})
    CHECK_THAT(parse_mode(special).error().message, Contains("never allowed"));
}

TEST_CASE("manifest: ports are normalised to number/protocol") {
  CHECK(normalise_port("80") == "80/tcp");
  CHECK(normalise_port("8443/tcp") == "8443/tcp");
  CHECK(normalise_port("53/UDP") == "53/udp");
  CHECK(normalise_port("9/sctp") == "9/sctp");
  CHECK(normalise_port("65535") == "65535/tcp");
  for (const char* bad : {"", "0", "65536", "-1", "80/", "/tcp", "80/http", "8000-8010", "80 ", "1e3"})
    CHECK_FALSE(normalise_port(bad));
  CHECK(port_number("8443/tcp") == 8443);
}

TEST_CASE("manifest: image names and user names and env names") {
  for (const std::string& good : std::vector<std::string>{"hello", "a", "hello-svc.v2_x", "0day", std::string(128, 'a')})
    CHECK_FALSE(check_image_name(good));
  for (const char* bad : {"", "Hello", "-x", ".x", "a/b", "a b", "ä"}) CHECK(check_image_name(bad));
  CHECK(check_image_name(std::string(129, 'a')));
  CHECK_THAT(check_image_name("Hello")->hint, Contains("'hello'"));

  for (const std::string& good : std::vector<std::string>{"app", "_svc", "web-1", "machine$", std::string(32, 'a')})
    CHECK_FALSE(check_user_name(good));
  for (const char* bad : {"", "root", "App", "1app", "a b", "a$b", "-a"}) CHECK(check_user_name(bad));
  CHECK(check_user_name(std::string(33, 'a')));

  for (const char* good : {"PATH", "_x", "LOG_LEVEL2", "lower"}) CHECK_FALSE(check_env_name(good));
  for (const char* bad : {"", "1X", "A-B", "A=B", "A B"}) CHECK(check_env_name(bad));

  CHECK_FALSE(check_image_reference("registry.example.com/team/hello:1.4.2"));
  CHECK_FALSE(check_image_reference("localhost:5000/x@sha256:abc"));
  CHECK(check_image_reference(""));
  CHECK(check_image_reference("reg.example/a b"));
  CHECK_THAT(check_image_reference("https://reg.example/a")->message, Contains("not a URL"));
}

TEST_CASE("manifest: zone names are checked for syntax before any lookup") {
  for (const char* good : {"UTC", "Europe/Ljubljana", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14"})
    CHECK_FALSE(check_zone_syntax(good));
  for (const char* bad : {"", "/etc/passwd", "Europe/", "../x", "Europe//Berlin", "Europe/Berlin\n", "a b"})
    CHECK(check_zone_syntax(bad));
  // A sysroot without a tz database says so instead of "unknown zone".
  slimbuild::util::TempDir empty("manifest-zones");
  auto p = check_zone(zoneinfo_dir(empty.path()), "UTC");
  REQUIRE(p);
  CHECK_THAT(p->message, Contains("needs the tz database"));
}
