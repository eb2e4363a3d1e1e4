// Registry authentication state for one registry: the challenge learnt from
// GET /v2/, the user's credentials, and bearer tokens cached per scope until
// shortly before they expire. Supports anonymous access, Basic, and the
// distribution token flow (GET realm?service&scope with optional Basic, or
// POST grant_type=refresh_token with an identity token). Tokens and
// passwords live only here and in request headers; nothing here logs them.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/registry/auth_challenge.hpp>
#include <slimbuild/registry/credentials.hpp>
#include <slimbuild/registry/transport.hpp>

namespace slimbuild::registry {

class Authenticator {
 public:
  // `allow_plain_http`: credentials may go to an http:// token realm (only
  // with --insecure-registry; otherwise a password would cross the wire in clear).
  Authenticator(Transport& transport, std::optional<Credentials> credentials, std::string registry_name,
                bool allow_plain_http = false);

  // Takes the WWW-Authenticate challenges of a 401. Returns false when none
  // is usable (unknown scheme), so the caller reports "unauthorized".
  bool set_challenge(const HttpResponse& unauthorized);
  // The Authorization header value for requests needing `scopes`, fetching
  // a token if needed; nullopt = send nothing (anonymous registry).
  // Throws Error when the token endpoint refuses.
  std::optional<std::string> authorization(const std::vector<std::string>& scopes);
  // Forgets the cached token for `scopes` (after a 401 with a token).
  void invalidate(const std::vector<std::string>& scopes);
  bool has_credentials() const { return credentials_.has_value(); }
  // util::redact(text): every secret registered (password, identity token,
  // base64(user:password), tokens) replaced by "***".
  std::string redact(std::string text) const;
  const std::optional<Credentials>& credentials() const { return credentials_; }

 private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  std::string fetch_token(const std::vector<std::string>& scopes, std::chrono::seconds& lifetime);

  Transport& transport_;
  std::optional<Credentials> credentials_;
  std::string registry_name_;
  bool allow_plain_http_;
  std::optional<AuthChallenge> challenge_;
  std::map<std::string, Token> tokens_;  // key: scopes joined by ' '
};

// "Basic base64(user:password)".
std::string basic_authorization(const std::string& user, const std::string& password);

}  // namespace slimbuild::registry
