// util::redact, the one layer all output passes through: registered secrets
// vanish wherever they occur, the longest first, short strings are left alone.
#include <catch2/catch.hpp>

#include <slimbuild/util/redact.hpp>

using namespace slimbuild;

TEST_CASE("util: redact replaces every registered secret, longest first") {
  util::add_secret("redact-test-pw");
  util::add_secret("redact-test-pw-and-more");
  util::add_secret("ab");  // too short to search for
  CHECK(util::redact("x redact-test-pw-and-more y redact-test-pw z ab") == "x *** y *** z ab");
  CHECK(util::redact("redact-test-pwredact-test-pw") == "******");
  CHECK(util::redact("nothing here") == "nothing here");
}
