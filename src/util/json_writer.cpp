// JsonWriter: commas, nesting, the key-order check and string escaping.
#include <slimbuild/util/json_writer.hpp>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/text.hpp>

namespace slimbuild::util {

namespace {

[[noreturn]] void misuse(const std::string& what) {
  throw Error("could not write a JSON document: " + what, "this is a bug in slimbuild; please report it");
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run not yet copied
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(s, i);
      if (n == 0)
        throw Error("a name in a JSON document is not valid UTF-8: " + printable(s),
                    "rename the file so its name is UTF-8");
      i += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + plain, i - plain);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    plain = ++i;
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

void JsonWriter::before_value() {
  if (levels_.empty()) {
    if (!out_.empty()) misuse("a second top-level value");
    return;
  }
  Level& l = levels_.back();
  if (l.object) {
    if (!after_key_) misuse("an object member without a key");
    after_key_ = false;
    return;
  }
  if (!l.empty) out_ += ',';
  l.empty = false;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  levels_.push_back(Level{true, true, {}});
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  if (levels_.empty() || !levels_.back().object || after_key_) misuse("an object closed out of turn");
  levels_.pop_back();
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  levels_.push_back(Level{false, true, {}});
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  if (levels_.empty() || levels_.back().object) misuse("an array closed out of turn");
  levels_.pop_back();
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  if (levels_.empty() || !levels_.back().object || after_key_) misuse("a key outside an object");
  Level& l = levels_.back();
  if (!l.empty && !(l.last_key < name))
    misuse("key \"" + std::string(name) + "\" after \"" + l.last_key + "\" (members go in bytewise key order)");
  if (!l.empty) out_ += ',';
  l.empty = false;
  l.last_key.assign(name);
  append_json_string(out_, name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  append_json_string(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t n) {
  before_value();
  out_ += std::to_string(n);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

}  // namespace slimbuild::util
