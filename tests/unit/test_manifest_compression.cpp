// `compression:` in the manifest: the scalar and mapping forms, the defaults,
// and the errors (unknown algorithm, level out of range for the algorithm,
// unknown key) at their line and column.
#include "unit/test_manifest_fixture.hpp"

using namespace manifest_test;
using Catch::Matchers::Contains;

namespace {
const std::string kBase = "name: hello\nbinary: build/hello\nuser: {uid: 65532}\n";
}

TEST_CASE("manifest: compression defaults to gzip at its default level") {
  Project p;
  Manifest m = p.load(kBase);
  CHECK(m.compression.algorithm == "gzip");
  CHECK_FALSE(m.compression.level);
  CHECK(m.compression.where.line == 0);
}

TEST_CASE("manifest: compression as a word or as {algorithm, level}") {
  Project p;
  Manifest m = p.load(kBase + "compression: zstd\n");
  CHECK(m.compression.algorithm == "zstd");
  CHECK_FALSE(m.compression.level);
  CHECK(m.compression.where.line == 4);
  m = p.load(kBase + "compression: {algorithm: zstd, level: 19}\n");
  CHECK(m.compression.algorithm == "zstd");
  CHECK(m.compression.level == 19);
  m = p.load(kBase + "compression:\n  level: 9\n");
  CHECK(m.compression.algorithm == "gzip");
  CHECK(m.compression.level == 9);
}

TEST_CASE("manifest: bad compression settings are reported where they are") {
  Project p;
  auto e = p.error(kBase + "compression: xz\n");
  CHECK(e.where().line == 4);
  CHECK_THAT(e.what(), Contains("compression must be gzip or zstd, not 'xz'"));
  e = p.error(kBase + "compression: {algorithm: gzip, level: 12}\n");
  CHECK(e.where().line == 4);
  CHECK(e.where().column == 39);
  CHECK_THAT(e.what(), Contains("compression.level 12 is out of range for gzip"));
  CHECK_THAT(e.hint(), Contains("0 to 9"));
  e = p.error(kBase + "compression: {algorithm: zstd, level: 0}\n");
  CHECK_THAT(e.what(), Contains("out of range for zstd"));
  e = p.error(kBase + "compression: {algorithm: zstd, levl: 3}\n");
  CHECK_THAT(e.what(), Contains("did you mean 'level'"));
  e = p.error(kBase + "compression: [gzip]\n");
  CHECK_THAT(e.what(), Contains("gzip, zstd or a mapping {algorithm, level}"));
}
