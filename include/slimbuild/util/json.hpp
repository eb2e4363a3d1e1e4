// Canonical JSON for everything we hash: object keys sorted bytewise (std::map
// order, nlohmann's default), no insignificant whitespace, UTF-8 kept as is.
// Same document, same bytes, same digest.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace slimbuild::util {

inline std::string canonical_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

}  // namespace slimbuild::util
