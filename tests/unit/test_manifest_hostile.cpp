// Hostile and odd input: alias cycles and alias bombs, deep nesting, huge
// files, things that are not files. Each must end in a clear error, quickly,
// with bounded memory, never a crash or a hang.
#include "unit/test_manifest_fixture.hpp"

#include <chrono>
#include <random>

using namespace manifest_test;
using Catch::Matchers::Contains;

namespace {
const std::string kBase = "name: hello\nbinary: build/hello\nuser: {uid: 65532}\n";
}

TEST_CASE("manifest: aliases that are not cycles work like copies") {
  Project p;
  Manifest m = p.load(kBase + "env: &common {TEAM: payments, TIER: 1}\nlabels: *common\n");
  CHECK(m.labels == std::map<std::string, std::string>{{"TEAM", "payments"}, {"TIER", "1"}});
  CHECK(m.env == m.labels);
}

TEST_CASE("manifest: an alias cycle is refused where the alias is") {
  Project p;
  auto e = p.error(kBase + "entrypoint: &loop [/app/hello, *loop]\n");
  CHECK(e.where().line == 4);
  CHECK(e.where().column == 32);
  CHECK_THAT(e.what(), Contains("refers to a node that contains it (a cycle)"));

  e = p.error(kBase + "env: &e {A: {B: *e}}\n");
  CHECK(e.where().line == 4);
  CHECK_THAT(e.what(), Contains("a cycle"));
}

TEST_CASE("manifest: an alias bomb is refused before it expands") {
  Project p;
  // Each level doubles ten times: 10^9 strings if expanded.
  std::string yaml = kBase + "labels: {}\nx0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", " : "") + prev;
    yaml += "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  auto e = p.error(yaml);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_THAT(e.what(), Contains("aliases expand this node to more than 16 MiB"));
  CHECK(e.where().line > 4);
}

TEST_CASE("manifest: deep nesting is an error and not a stack overflow") {
  Project p;
  auto e = p.error(kBase + "x: " + std::string(200000, '[') + "\n");
  INFO(e.what());
  CHECK(e.where().line >= 4);
  CHECK_THAT(e.what(), Contains("YAML"));

  std::string block = kBase + "y:\n";
  for (int i = 0; i < 50000; ++i) block += "- ";
  e = p.error(block + "z\n");
  CHECK(e.where().line == 5);
}

TEST_CASE("manifest: files over 1 MiB are refused without reading them") {
  Project p;
  std::string big = kBase + "labels:\n";
  while (big.size() <= (1u << 20)) big += "  key" + std::to_string(big.size()) + ": some value to pad the file\n";
  write(p.manifest_path(), big);
  try {
    slimbuild::manifest::load_manifest(p.manifest_path());
    FAIL("a 1 MiB manifest was accepted");
  } catch (const slimbuild::Error& e) {
    CHECK_THAT(e.what(), Contains("the limit is 1 MiB"));
    CHECK_THAT(e.what(), Contains(p.manifest_path().string()));
  }
  // The same text handed to parse_manifest is refused too.
  CHECK_THROWS_WITH(slimbuild::manifest::parse_manifest(big, p.manifest_path()), Contains("the limit is 1048576"));
}

TEST_CASE("manifest: missing manifests and directories and devices") {
  Project p;
  using slimbuild::manifest::load_manifest;
  CHECK_THROWS_WITH(load_manifest(p.dir / "nope.yaml"), Contains("cannot read manifest") && Contains("No such file"));
  CHECK_THROWS_WITH(load_manifest(p.dir), Contains("is not a regular file"));
  CHECK_THROWS_WITH(load_manifest("/dev/zero"), Contains("is not a regular file"));
}

TEST_CASE("manifest: every problem in the file is reported at once in file order") {
  Project p;
  auto e = p.error(
      "name: Hello\n"                       // 1: upper case
      "binary: build/hello\n"
      "user: {uid: 0}\n"                    // 3: root
      "ports: [99999]\n"                    // 4: bad port
      "workdir: relative\n");               // 5: not absolute
  CHECK(e.where().line == 1);
  CHECK(e.where().column == 7);
  std::string what = e.what();
  auto at = [&](const std::string& s) { return what.find(s); };
  REQUIRE(at(":1:7: name may only contain lower-case letters") != std::string::npos);
  REQUIRE(at(":3:8: user.uid is 0") != std::string::npos);
  REQUIRE(at(":4:9: ports[0] must be a port number") != std::string::npos);
  REQUIRE(at(":5:10: workdir must be an absolute path") != std::string::npos);
  CHECK(at(":1:7:") < at(":3:8:"));
  CHECK(at(":3:8:") < at(":4:9:"));
  CHECK(at(":4:9:") < at(":5:10:"));
  CHECK_THAT(e.hint(), Contains("did you mean 'hello'?"));

  // A long list of mistakes is cut short.
  std::string many = kBase;
  for (int i = 0; i < 40; ++i) many += "bad" + std::to_string(i) + ": 1\n";
  e = p.error(many);
  CHECK_THAT(e.what(), Contains("... and 20 more problems"));
}

TEST_CASE("manifest: repeated or numerous bad zones stay cheap") {
  Project p;
  std::string yaml = kBase + "sysroot: ../sysroot\nz: &z Europe/Lubljana\ntzdata: [";
  for (int i = 0; i < 40000; ++i) yaml += "*z, Nowhere/Zone" + std::to_string(i) + ", ";
  yaml += "UTC]\n";
  auto start = std::chrono::steady_clock::now();
  auto e = p.error(yaml);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK_THAT(e.what(), Contains("unknown key 'z'"));
  CHECK_THAT(e.what(), Contains("did you mean 'Europe/Ljubljana'?"));
  CHECK_THAT(e.what(), Contains("more problems"));
}

TEST_CASE("manifest: a wrong sysroot is one error and not one per zone") {
  Project p;
  auto e = p.error(kBase + "sysroot: ../nowhere\ntzdata: [UTC, Europe/Berlin]\ntimezone: UTC\n");
  CHECK(e.where().line == 4);
  CHECK_THAT(e.what(), Contains("sysroot '../nowhere' does not exist"));
  CHECK_THAT(e.what(), !Contains("zone"));
}

TEST_CASE("manifest: a UTF-8 byte order mark and CRLF line ends are fine") {
  Project p;
  Manifest m = p.load("\xEF\xBB\xBFname: hello\r\nbinary: build/hello\r\nuser: {uid: 42}\r\n");
  CHECK(m.name == "hello");
  CHECK(m.user.uid == 42);
  auto e = p.error("\xEF\xBB\xBFname: hello\r\nbinary: build/hello\r\nuser: {uid: 0}\r\n");
  CHECK(e.where().line == 3);
}

TEST_CASE("manifest: mutated manifests end in a manifest error and never anything else") {
  // A fixed seed keeps this reproducible; a longer run of the same loop under
  // ASan/UBSan (20000 mutants) found nothing either.
  Project p;
  const std::string base = kBase +
                           "files:\n  - src: config/\n    dest: /etc/hello/\n    mode: \"0640\"\n"
                           "    exclude: [\"*.bak\"]\nentrypoint: [/app/hello, --serve]\nsysroot: ../sysroot\n"
                           "tzdata: [Europe/Ljubljana, UTC]\nenv: &e {A: 1}\nlabels: *e\nports: [3000, \"53/udp\"]\n";
  const std::string alphabet = "[]{}:,-&*!|>'\"#%@` \n\t\\0123456789az/.~?";
  std::mt19937 rng(20261123);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 400; ++i) {
    std::string text = base;
    for (int k = 1 + static_cast<int>(rng() % 5); k > 0; --k) {
      std::size_t pos = rng() % text.size();
      switch (rng() % 4) {
        case 0: text[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        case 2: text.erase(pos, 1 + rng() % 5); break;
        default: text.insert(pos, text.substr(rng() % text.size(), rng() % 40)); break;
      }
    }
    try {
      slimbuild::manifest::parse_manifest(text, p.manifest_path());
      ++accepted;
    } catch (const slimbuild::Error& e) {
      ++refused;
      CHECK_THAT(e.what(), Contains(p.manifest_path().string() + ":"));
    } catch (const std::exception& e) {
      FAIL("not a slimbuild::Error: " << e.what() << "\nfor:\n" << text);
    }
  }
  CHECK(accepted + refused == 400);
  CHECK(accepted > 0);  // the mutations are not all fatal, so both paths ran
  CHECK(refused > 0);
}
