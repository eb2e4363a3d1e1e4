// Issue 8, finding 8: manifests with text that is not Unicode — surrogates
// (raw or escaped), overlong encodings, code points above U+10FFFF — are a
// manifest error at file:line:column, never an "internal error" from
// whatever writes JSON later (the image config, the SBOM).
#include "unit/test_manifest_fixture.hpp"

using namespace manifest_test;
using Catch::Matchers::Contains;

namespace {
const std::string kBase = "name: hello\nbinary: build/hello\nuser: {uid: 65532}\n";
}

TEST_CASE("manifest: raw non-Unicode UTF-8 forms are refused with a position") {
  Project p;
  for (const std::string& bad : {std::string("\xed\xa0\x80"),          // surrogate U+D800
                                 std::string("\xf4\x90\x80\x80"),      // U+110000
                                 std::string("\xe0\x80\xaf"),          // overlong '/'
                                 std::string("\xc0\xaf")}) {           // overlong '/', 2 bytes
    auto e = p.error(kBase + "env: {A: \"x" + bad + "y\"}\n");
    CHECK(e.where().line == 4);
    CHECK(e.where().column == 12);  // the first byte of the bad sequence
    CHECK_THAT(e.what(), Contains("invalid UTF-8"));
  }
  // Valid multi-byte text still loads (U+00E9, U+20AC, U+1F600).
  Manifest m = p.load(kBase + "env: {A: \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}\n");
  CHECK(m.env.at("A") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST_CASE("manifest: escapes naming no character are a syntax error that says so") {
  Project p;
  for (const std::string& esc : {std::string("\\ud800"), std::string("\\U00110000"), std::string("\\udfff")}) {
    auto e = p.error(kBase + "env: {A: \"x" + esc + "y\"}\n");
    CHECK(e.where().line == 4);
    CHECK_THAT(e.what(), Contains("names no Unicode character"));
    CHECK_THAT(e.what(), !Contains("internal"));
  }
}
