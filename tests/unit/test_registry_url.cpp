// Location resolution and query building for upload sessions.
#include <catch2/catch.hpp>

#include "registry/url.hpp"

using namespace slimbuild::registry;

TEST_CASE("registry: Location headers resolve like a browser would") {
  const std::string req = "https://reg.example:5000/v2/team/app/blobs/uploads/";
  CHECK(resolve_location(req, "https://other/v2/x/blobs/uploads/u1?_state=s") == "https://other/v2/x/blobs/uploads/u1?_state=s");
  CHECK(resolve_location(req, "/v2/team/app/blobs/uploads/u1?_state=a%2Bb") ==
        "https://reg.example:5000/v2/team/app/blobs/uploads/u1?_state=a%2Bb");
  CHECK(resolve_location(req, "u1") == "https://reg.example:5000/v2/team/app/blobs/uploads/u1");
  CHECK(resolve_location(req, "../uploads2/u1?x=1") == "https://reg.example:5000/v2/team/app/blobs/uploads2/u1?x=1");
  CHECK(resolve_location("http://h/v2/a/blobs/uploads/u1?s=1", "?s=2") == "http://h/v2/a/blobs/uploads/u1?s=2");
  CHECK(resolve_location(req, "//cdn.example/up/1") == "https://cdn.example/up/1");
  CHECK(resolve_location("http://h:1/v2/a/b", "/../../x") == "http://h:1/x");
}

TEST_CASE("registry: query parameters are appended and encoded") {
  CHECK(add_query("http://h/u", "digest", "sha256:ab") == "http://h/u?digest=sha256%3Aab");
  CHECK(add_query("http://h/u?_state=x", "digest", "sha256:ab") == "http://h/u?_state=x&digest=sha256%3Aab");
  CHECK(add_query("http://h/t", "scope", "repository:a/b:pull,push") == "http://h/t?scope=repository%3Aa%2Fb%3Apull%2Cpush");
  CHECK(percent_encode("a b&c=d") == "a%20b%26c%3Dd");
  CHECK(url_origin("https://h:5/v2/x?y") == "https://h:5");
  CHECK(url_host("https://h:5/v2/x?y") == "h:5");
}
