// Caps for untrusted input, overridable from the environment.
#include <slimbuild/util/limits.hpp>

#include <cstdlib>

#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::util {

const LimitInfo& limit_info(Limit l) {
  static const LimitInfo kInfo[] = {
      {"JSON document size limit", "SLIMBUILD_MAX_JSON_BYTES", 16u << 20},
      {"JSON nesting depth limit", "SLIMBUILD_MAX_JSON_DEPTH", 64},
      {"size limit for one unpacked file", "SLIMBUILD_MAX_MEMBER_BYTES", 4ull << 30},
      {"limit on bytes unpacked in total", "SLIMBUILD_MAX_EXTRACT_BYTES", 8ull << 30},
  };
  return kInfo[static_cast<int>(l)];
}

uint64_t limit(Limit l) {
  const LimitInfo& info = limit_info(l);
  auto n = environment().number(info.env);
  return n && *n > 0 ? *n : info.fallback;
}

std::string limit_hint(Limit l) {
  const LimitInfo& info = limit_info(l);
  return "if the input is trusted, raise the limit with " + std::string(info.env) + "=N (default " +
         std::to_string(info.fallback) + ")";
}

void limit_exceeded(Limit l, const std::string& what) {
  throw Error(what + " exceeds the " + limit_info(l).what + " of " + std::to_string(limit(l)), limit_hint(l));
}

nlohmann::json parse_untrusted_json(std::string_view text, const std::string& what) {
  if (text.size() > limit(Limit::JsonBytes))
    limit_exceeded(Limit::JsonBytes, what + " (" + std::to_string(text.size()) + " bytes)");
  // The callback sees every opening bracket with its depth, so a document
  // nested a million deep stops at the cap instead of building the tree.
  struct TooDeep {};
  const uint64_t max_depth = limit(Limit::JsonDepth);
  auto guard = [max_depth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    using E = nlohmann::json::parse_event_t;
    if ((event == E::object_start || event == E::array_start) && static_cast<uint64_t>(depth) >= max_depth)
      throw TooDeep{};
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), guard);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + " is not valid JSON: " + e.what());
  } catch (const TooDeep&) {
    limit_exceeded(Limit::JsonDepth, what + " (nested deeper than " + std::to_string(max_depth) + ")");
  }
}

}  // namespace slimbuild::util
