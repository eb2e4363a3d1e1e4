// Basic and bearer-token authentication against distribution registries.
// Token requests carry every scope the operation needs (push + the mount
// source's pull) in one token, as docker does. Errors name the realm host and
// the HTTP status, never the credentials or the token; the secrets are
// registered with util::redact as soon as they are known (all output passes it).
#include <slimbuild/registry/authenticator.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "registry/registry_error.hpp"
#include <slimbuild/registry/retry_policy.hpp>
#include "registry/url.hpp"
#include <slimbuild/util/redact.hpp>

namespace slimbuild::registry {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

std::string basic_authorization(const std::string& user, const std::string& password) {
  return "Basic " + base64(user + ":" + password);
}

Authenticator::Authenticator(Transport& transport, std::optional<Credentials> credentials, std::string registry_name,
                             bool allow_plain_http)
    : transport_(transport), credentials_(std::move(credentials)), registry_name_(std::move(registry_name)),
      allow_plain_http_(allow_plain_http) {
  // Every form in which these secrets could come back in a registry's answer.
  if (credentials_) {
    const Credentials& c = *credentials_;
    for (const std::string* secret : {&c.password, &c.identity_token}) {
      util::add_secret(*secret);
      util::add_secret(percent_encode(*secret));
      util::add_secret(base64(*secret));
    }
    if (!c.password.empty()) util::add_secret(base64(c.username + ":" + c.password));
  }
}

bool Authenticator::set_challenge(const HttpResponse& unauthorized) {
  for (const auto& header : unauthorized.all("www-authenticate")) {
    auto parsed = parse_www_authenticate(header);
    if (!parsed) throw parsed.error();
    // Prefer Bearer (scoped, short-lived) over Basic when both are offered.
    for (const auto& scheme : {"bearer", "basic"})
      for (auto& ch : *parsed)
        if (ch.scheme == scheme) {
          if (ch.scheme == "bearer" && ch.param("realm").empty())
            throw Error("the registry " + registry_name_ + " asked for a bearer token but named no realm");
          bool changed = !challenge_ || challenge_->scheme != ch.scheme || challenge_->param("realm") != ch.param("realm");
          challenge_ = ch;
          if (changed) tokens_.clear();
          return true;
        }
  }
  return false;
}

std::optional<std::string> Authenticator::authorization(const std::vector<std::string>& scopes) {
  if (!challenge_) return std::nullopt;
  if (challenge_->scheme == "basic") {
    if (!credentials_ || credentials_->username.empty()) return std::nullopt;
    return basic_authorization(credentials_->username, credentials_->password);
  }
  std::string key = join(scopes);
  auto now = std::chrono::steady_clock::now();
  if (auto it = tokens_.find(key); it != tokens_.end() && it->second.expires > now) return "Bearer " + it->second.value;
  std::chrono::seconds lifetime{60};
  std::string token = fetch_token(scopes, lifetime);
  // Renew a little early so a token never expires in the middle of a request.
  auto margin = std::min(std::chrono::seconds(10), lifetime / 4);
  tokens_[key] = Token{token, now + lifetime - margin};
  return "Bearer " + token;
}

std::string Authenticator::redact(std::string text) const { return util::redact(text); }

void Authenticator::invalidate(const std::vector<std::string>& scopes) { tokens_.erase(join(scopes)); }

std::string Authenticator::fetch_token(const std::vector<std::string>& scopes, std::chrono::seconds& lifetime) {
  const std::string realm = challenge_->param("realm");
  if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0)
    throw Error("the registry " + registry_name_ + " named an unusable token realm (not an http(s) URL)");
  if (realm.rfind("http://", 0) == 0 && credentials_ && !allow_plain_http_)
    throw Error("the registry " + registry_name_ + " sends logins to a plain-http token service (" + url_host(realm) + ")",
                "refusing to send credentials unencrypted; pass --insecure-registry if this is a trusted local setup");
  const std::string service = challenge_->param("service");
  const std::string step = "getting a token from " + url_host(realm) + " for " + registry_name_;

  HttpRequest req;
  bool refresh = credentials_ && !credentials_->identity_token.empty();
  if (refresh) {
    // OAuth2 refresh-token grant, as docker does with an identity token.
    req.method = "POST";
    req.url = realm;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    std::string form = "grant_type=refresh_token&client_id=slimbuild&service=" + percent_encode(service) +
                       "&refresh_token=" + percent_encode(credentials_->identity_token);
    for (const auto& s : scopes) form += "&scope=" + percent_encode(s);
    req.body = std::move(form);
  } else {
    req.url = realm;
    if (!service.empty()) req.url = add_query(req.url, "service", service);
    for (const auto& s : scopes) req.url = add_query(req.url, "scope", s);
    if (credentials_ && !credentials_->username.empty()) {
      req.url = add_query(req.url, "account", credentials_->username);
      req.headers.emplace_back("Authorization", basic_authorization(credentials_->username, credentials_->password));
    }
  }

  std::expected<HttpResponse, TransportError> r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    r = transport_.perform(req);
    if (r ? !is_retryable_status(r->status) : !r.error().retryable) break;
  }
  if (!r) throw Error(step + " failed: " + r.error().message, "check that the token service is reachable");
  const std::string detail = redact(describe_registry_error(r->body));
  if (r->status == 401 || r->status == 403)
    throw Error(step + " failed: HTTP " + std::to_string(r->status) + " unauthorized" + (detail.empty() ? "" : " (" + detail + ")"),
                credentials_ ? "the credentials from " + credentials_->source + " were refused; log in again"
                             : "log in (docker login / podman login) or pass --username with --password-stdin");
  if (r->status != 200) throw http_error(step, r->status, redact(r->body));
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    for (const char* field : {"token", "access_token"})
      if (j.contains(field) && j[field].is_string() && !j[field].get<std::string>().empty()) {
        token = j[field].get<std::string>();
        break;
      }
    if (j.contains("expires_in") && j["expires_in"].is_number_integer()) {
      long long s = j["expires_in"].get<long long>();
      // Spec: at least 60 s is assumed when smaller or absent.
      lifetime = std::chrono::seconds(std::clamp<long long>(s, 60, 24 * 3600));
    }
  }
  if (token.empty()) throw Error(step + " failed: the token service answered without a token");
  util::add_secret(token);
  if (token.find_first_of("\r\n") != std::string::npos)
    throw Error(step + " failed: the token service returned a malformed token");
  return token;
}

}  // namespace slimbuild::registry
