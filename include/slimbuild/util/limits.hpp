// Caps on what untrusted input (foreign images, archives, JSON documents)
// may cost. Each cap has a default that no honest image comes near and an
// environment variable to raise it; the error that reports a hit names both,
// so a user with a genuinely huge image knows exactly what to set.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace slimbuild::util {

enum class Limit {
  JsonBytes,     // one JSON document (index.json, manifest, config, manifest.json)
  JsonDepth,     // nesting of arrays/objects in one JSON document
  MemberBytes,   // one file unpacked from an image or archive
  ExtractBytes,  // everything one command unpacks to disk
};

struct LimitInfo {
  const char* what;  // "JSON document size"
  const char* env;   // "SLIMBUILD_MAX_JSON_BYTES"
  uint64_t fallback;
};
const LimitInfo& limit_info(Limit l);

// The cap in force: $env when it is a positive integer, else the default.
uint64_t limit(Limit l);
// "raise it with SLIMBUILD_MAX_JSON_DEPTH=N (default 64)" for hints.
std::string limit_hint(Limit l);
// Throws Error "<what> exceeds the <limit> of N" with limit_hint().
[[noreturn]] void limit_exceeded(Limit l, const std::string& what);

// Parses untrusted JSON under the JsonBytes and JsonDepth caps; `what` names
// the document in errors ("index.json of DIR"). Malformed JSON is an Error.
nlohmann::json parse_untrusted_json(std::string_view text, const std::string& what);

}  // namespace slimbuild::util
