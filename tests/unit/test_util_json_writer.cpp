// util::JsonWriter writes the bytes util::canonical_json would (nlohmann's
// escaping with UTF-8 kept, members in key order), and refuses what would
// not be canonical: members out of order, invalid UTF-8, misplaced values.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/json_writer.hpp>

using namespace slimbuild;

TEST_CASE("util: JsonWriter output equals canonical_json of the same document") {
  const std::string tricky = std::string("q\"b\\s/ \b\f\n\r\t\x01\x1f\x7f caf\xc3\xa9 \xf0\x9f\x90\xb3 ") + '\0' + "end";
  std::string out;
  util::JsonWriter w(out);
  w.begin_object().member("A", tricky).member("a", int64_t{-42});
  w.key("arr").begin_array().value(true).value(false).begin_object().end_object().begin_array().end_array();
  w.value("x").end_array();
  w.key("b").begin_object().member("n", int64_t{1700000000}).end_object();
  w.member("z", "").end_object();

  nlohmann::json j = {{"a", -42},
                      {"A", tricky},
                      {"arr", {true, false, nlohmann::json::object(), nlohmann::json::array(), "x"}},
                      {"b", {{"n", 1700000000}}},
                      {"z", ""}};
  CHECK(out == util::canonical_json(j));
  CHECK(nlohmann::json::parse(out) == j);
}

TEST_CASE("util: JsonWriter refuses members out of key order, bad UTF-8 and misplaced values") {
  std::string out;
  util::JsonWriter w(out);
  w.begin_object().member("b", "1");
  CHECK_THROWS_WITH(w.key("a"), Catch::Contains("bytewise key order"));
  CHECK_THROWS_WITH(w.key("b"), Catch::Contains("bytewise key order"));  // a repeated key too

  std::string out2;
  util::JsonWriter w2(out2);
  w2.begin_array();
  CHECK_THROWS_AS(w2.value(std::string_view("bad \xff byte")), Error);
  CHECK_THROWS_AS(w2.value(std::string_view("overlong \xc0\xaf")), Error);
  CHECK_THROWS_AS(w2.key("k"), Error);  // a key inside an array
  CHECK_THROWS_AS(w2.end_object(), Error);

  std::string out3;
  util::JsonWriter w3(out3);
  w3.begin_object();
  CHECK_THROWS_AS(w3.value("no key"), Error);
}
