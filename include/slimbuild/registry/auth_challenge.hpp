// Parsing the WWW-Authenticate header (RFC 7235): one or more challenges,
// each a case-insensitive scheme followed by either a token68 or
// comma-separated name=value parameters whose values may be quoted strings
// with backslash escapes and embedded commas. The header comes from the
// network, so garbage yields an error value, never a crash or a hang.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <slimbuild/util/error.hpp>

namespace slimbuild::registry {

struct AuthChallenge {
  std::string scheme;                        // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params; // names lowercased: "realm", "service", "scope", "error"
  std::string token68;                       // rarely used; kept for completeness

  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header);

}  // namespace slimbuild::registry
