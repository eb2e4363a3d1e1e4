// Canonical JSON written straight into a string, for documents too large to
// build as a nlohmann DOM first (an SBOM lists every file of the image: at
// 50,000 files the DOM cost a second and ~100 MiB per document). The bytes
// are exactly util::canonical_json's (json.hpp): members in bytewise key
// order, no whitespace, strings escaped as nlohmann escapes them with UTF-8
// kept. The caller writes members in key order; the writer checks it (and
// that every string is valid UTF-8) and throws rather than write a document
// that would hash differently from its canonical form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slimbuild::util {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // The next member's name; members of one object must come in bytewise order.
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t n);
  JsonWriter& value(bool b);

  // key(name).value(v), the common case.
  template <typename T>
  JsonWriter& member(std::string_view name, const T& v) {
    return key(name).value(v);
  }

 private:
  struct Level {
    bool object = false;
    bool empty = true;
    std::string last_key;
  };
  void before_value();

  std::string& out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

// `s` as a JSON string literal (quotes included), escaped like nlohmann's
// dump with UTF-8 kept; throws util::Error on invalid UTF-8.
void append_json_string(std::string& out, std::string_view s);

}  // namespace slimbuild::util
