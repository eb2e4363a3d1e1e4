// WWW-Authenticate parsing, including what a hostile registry could send.
#include <catch2/catch.hpp>

#include <slimbuild/registry/auth_challenge.hpp>

using slimbuild::registry::parse_www_authenticate;

TEST_CASE("registry: bearer challenge with quoted parameters") {
  auto r = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push")");
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  const auto& c = r->front();
  CHECK(c.scheme == "bearer");
  CHECK(c.param("realm") == "https://auth.docker.io/token");
  CHECK(c.param("service") == "registry.docker.io");
  CHECK(c.param("scope") == "repository:library/ubuntu:pull,push");  // comma inside quotes
}

TEST_CASE("registry: challenge scheme and names are case-insensitive, with escapes and spaces") {
  auto r = parse_www_authenticate(R"(BEARER   Realm = "http://h/t\"x\\y" ,  SERVICE=svc  , error="insufficient_scope")");
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK(r->front().scheme == "bearer");
  CHECK(r->front().param("realm") == "http://h/t\"x\\y");
  CHECK(r->front().param("service") == "svc");
  CHECK(r->front().param("error") == "insufficient_scope");
}

TEST_CASE("registry: several challenges in one header") {
  auto r = parse_www_authenticate(R"(Basic realm="reg", Bearer realm="https://a/t",service="s", Negotiate)");
  REQUIRE(r);
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].scheme == "basic");
  CHECK((*r)[0].param("realm") == "reg");
  CHECK((*r)[1].scheme == "bearer");
  CHECK((*r)[1].param("service") == "s");
  CHECK((*r)[2].scheme == "negotiate");

  auto t = parse_www_authenticate("Basic dXNlcjpwYXNz==, Bearer realm=x");
  REQUIRE(t);
  REQUIRE(t->size() == 2);
  CHECK((*t)[0].token68 == "dXNlcjpwYXNz==");
  CHECK((*t)[1].param("realm") == "x");
}

TEST_CASE("registry: hostile WWW-Authenticate values are errors, not crashes") {
  CHECK_FALSE(parse_www_authenticate(R"(Bearer realm="unterminated)"));
  CHECK_FALSE(parse_www_authenticate(R"(Bearer realm="x\)"));
  CHECK_FALSE(parse_www_authenticate(""));
  CHECK_FALSE(parse_www_authenticate(",,, ,"));
  CHECK_FALSE(parse_www_authenticate("=realm"));
  // "realm=" is a token68 by the grammar; the authenticator then finds no realm.
  auto empty_realm = parse_www_authenticate("Bearer realm=");
  REQUIRE(empty_realm);
  CHECK(empty_realm->front().param("realm").empty());
  CHECK_FALSE(parse_www_authenticate("Bearer realm=\"a\" junk"));
  CHECK_FALSE(parse_www_authenticate(std::string("Bearer realm=\"a\0b\"", 18)));
  CHECK_FALSE(parse_www_authenticate("Bearer realm=\"a\r\nX-Injected: 1\""));
  CHECK_FALSE(parse_www_authenticate(std::string(1 << 20, 'a')));
  std::string many = "Bearer ";
  for (int i = 0; i < 1000; ++i) many += "k" + std::to_string(i) + "=\"v\",";
  auto r = parse_www_authenticate(many);
  REQUIRE(r);
  CHECK(r->front().params.size() == 1000);
  auto e = parse_www_authenticate(R"(Bearer realm="x)");
  CHECK_THAT(e.error().what(), Catch::Contains("unterminated"));
}
