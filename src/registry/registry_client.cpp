// Scheme selection, authentication and retries for registry requests. Only
// this file decides when a request is tried again, so the retry rules (which
// statuses, how long, how often) live in one place.
#include <slimbuild/registry/registry_client.hpp>

#include <algorithm>
#include <cstdlib>

#include "registry/registry_error.hpp"
#include "registry/url.hpp"
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/interrupt.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/process.hpp>

namespace slimbuild::registry {

namespace {

long env_seconds(const char* name, long fallback) {
  auto n = util::environment().number(name);
  return n && *n > 0 && *n <= 1'000'000'000 ? static_cast<long>(*n) : fallback;
}

std::optional<Credentials> find_credentials(const Reference& ref, const RegistryOptions& options) {
  if (options.username) {
    Credentials c;
    c.username = *options.username;
    c.password = options.password.value_or("");
    c.source = "--username/--password-stdin";
    return c;
  }
  auto found = lookup_credentials(ref.registry, auth_file_candidates(),
                                  options.runner ? *options.runner : util::real_process_runner());
  if (!found) throw found.error();
  return *found;
}

}  // namespace

Failure Failure::from_response(const HttpResponse& r) {
  Failure f;
  f.status = r.status;
  f.body = r.body.substr(0, 64 * 1024);
  f.message = "HTTP " + std::to_string(r.status);
  if (std::string d = describe_registry_error(r.body); !d.empty()) f.message += " (" + d + ")";
  f.retryable = is_retryable_status(r.status);
  if (std::string ra = r.header("retry-after"); !ra.empty())
    f.retry_after = parse_retry_after(ra, std::chrono::system_clock::now());
  return f;
}

Failure Failure::from_transport(const TransportError& e) {
  Failure f;
  f.message = e.message;
  f.retryable = e.retryable;
  return f;
}

RegistryClient::RegistryClient(Reference ref, const RegistryOptions& options, Access access, std::unique_ptr<Transport> transport)
    : ref_(std::move(ref)), options_(options), access_(access), transport_(std::move(transport)),
      policy_(RetryPolicy::from_env()) {
  if (options.max_attempts > 0) policy_.max_attempts = std::min(policy_.max_attempts, options.max_attempts);
  if (!transport_) {
    TransportOptions t;
    t.ca_file = options.ca_file;
    t.verify_tls = !options.insecure_registry;
    t.connect_timeout_s = env_seconds("SLIMBUILD_CONNECT_TIMEOUT", 15);
    t.low_speed_time_s = env_seconds("SLIMBUILD_LOW_SPEED_TIME", 30);
    t.request_timeout_s = env_seconds("SLIMBUILD_REQUEST_TIMEOUT", t.request_timeout_s);
    t.max_collected_body = static_cast<std::size_t>(std::min(env_seconds("SLIMBUILD_MAX_RESPONSE_MB", 8), 4096L)) << 20;
    transport_ = make_curl_transport(t);
  }
  auth_ = std::make_unique<Authenticator>(*transport_, find_credentials(ref_, options_), ref_.registry,
                                          options_.insecure_registry);
}

std::string RegistryClient::repo_url(const std::string& repository, const std::string& path) const {
  return base_ + "/v2/" + repository + "/" + path;
}

std::vector<std::string> RegistryClient::scopes(const std::vector<std::string>& extra) const {
  std::vector<std::string> s{"repository:" + ref_.repository + (access_ == Access::PullPush ? ":pull,push" : ":pull")};
  s.insert(s.end(), extra.begin(), extra.end());
  return s;
}

void RegistryClient::ping() {
  const std::string host = ref_.api_host();
  const std::string step = "contacting the registry " + ref_.registry;
  std::vector<std::string> schemes{"https"};
  if (options_.insecure_registry) schemes.push_back("http");  // as docker: TLS first, plain HTTP as fallback

  for (std::size_t i = 0; i < schemes.size(); ++i) {
    base_ = schemes[i] + "://" + host;
    HttpRequest req;
    req.url = base_ + "/v2/";
    auto once = [&]() -> Attempt<HttpResponse> {
      auto t = transport_->perform(req);
      if (!t) return std::unexpected(Failure::from_transport(t.error()));
      if (is_retryable_status(t->status)) return std::unexpected(Failure::from_response(*t));
      return *t;
    };
    std::optional<HttpResponse> r;
    if (i + 1 == schemes.size()) {
      r = with_retries<HttpResponse>(step, once);
    } else if (auto first = once()) {
      r = std::move(*first);
    } else {
      util::debug("https to " + host + " failed (" + first.error().message + "), trying plain http (--insecure-registry)");
      continue;
    }
    if (r->status == 200) return;  // anonymous access
    if (r->status == 401) {
      if (!auth_->set_challenge(*r))
        throw Error(step + ": it requires an authentication scheme slimbuild does not support",
                    "slimbuild supports anonymous, Basic and bearer-token registries");
      if (!auth_->has_credentials()) util::debug("no credentials for " + ref_.registry + "; trying anonymous access");
      return;
    }
    throw http_error(step + " (GET " + req.url + ")", r->status, r->body);
  }
}

Attempt<HttpResponse> RegistryClient::send_authorized(const HttpRequest& request,
                                                      const std::vector<std::string>& extra_scopes) {
  const auto all_scopes = scopes(extra_scopes);
  std::expected<HttpResponse, TransportError> r;
  for (int round = 0; round < 2; ++round) {
    HttpRequest req = request;
    std::optional<std::string> authz = auth_->authorization(all_scopes);
    if (authz) req.headers.emplace_back("Authorization", *authz);
    r = transport_->perform(req);
    if (!r) return std::unexpected(Failure::from_transport(r.error()));
    if (r->status != 401 || round == 1) break;
    // A stale token, or a registry that challenges only now: learn and resend once.
    auth_->invalidate(all_scopes);
    if (!auth_->set_challenge(*r)) break;
  }
  if (r->status == 401) {
    Failure f = Failure::from_response(*r);
    std::string detail = describe_registry_error(r->body);
    f.message = "HTTP 401 unauthorized" + (detail.empty() ? std::string() : " (" + detail + ")");
    return std::unexpected(std::move(f));
  }
  return *r;
}

std::optional<Failure> RegistryClient::check_destination(const std::string& url, bool redirected) {
  const std::string scheme = url_scheme(url);
  const std::string origin = normalized_origin(url);
  const std::string how = redirected ? "redirected the request to" : "sent the request on to";
  if (scheme != "https" && scheme != "http") {
    Failure f;
    f.message = "the registry " + how + " '" + url_for_message(url).substr(0, 200) + "', which is not an http(s) URL";
    return f;
  }
  if (scheme == "https" || same_origin(url, base_)) return std::nullopt;  // base_ is http only with --insecure-registry
  if (!options_.insecure_registry) {
    Failure f;
    f.message = "the registry " + how + " plain http " + origin + " (another origin); refusing to send data unencrypted";
    f.hint = "the registry at " + ref_.registry + " points outside TLS; if this is a trusted local setup, pass --insecure-registry";
    return f;
  }
  if (std::find(warned_plain_http_.begin(), warned_plain_http_.end(), origin) == warned_plain_http_.end()) {
    warned_plain_http_.push_back(origin);
    util::warn("the registry " + how + " plain http " + origin + "; following it without credentials (--insecure-registry)");
  }
  return std::nullopt;
}

Attempt<HttpResponse> RegistryClient::send_once(HttpRequest request, const std::vector<std::string>& extra_scopes) {
  constexpr int kMaxRedirects = 5;
  for (int hop = 0;; ++hop) {
    if (auto refused = check_destination(request.url, hop > 0)) return std::unexpected(std::move(*refused));
    // Credentials only to the registry's own origin; everyone else gets none.
    auto r = same_origin(request.url, base_) ? send_authorized(request, extra_scopes) : [&]() -> Attempt<HttpResponse> {
      auto t = transport_->perform(request);
      if (!t) return std::unexpected(Failure::from_transport(t.error()));
      return *t;
    }();
    const bool redirect = r && (r->status == 301 || r->status == 302 || r->status == 303 || r->status == 307 || r->status == 308);
    if (!request.follow_redirects || !redirect || r->header("location").empty()) return r;
    if (hop == kMaxRedirects) {
      Failure f;
      f.message = "more than " + std::to_string(kMaxRedirects) + " redirects";
      return std::unexpected(std::move(f));
    }
    request.url = resolve_location(request.url, r->header("location"));
  }
}

HttpResponse RegistryClient::send(const HttpRequest& request, const std::string& step, const std::vector<std::string>& extra_scopes) {
  return with_retries<HttpResponse>(step, [&]() -> Attempt<HttpResponse> {
    auto r = send_once(request, extra_scopes);
    if (!r) return r;
    if (is_retryable_status(r->status)) return std::unexpected(Failure::from_response(*r));
    return r;
  });
}

Error RegistryClient::final_error(const std::string& step, const Failure& f, int attempts) const {
  if (f.status != 0) {
    Error e = http_error(step, f.status, f.body);
    std::string msg = e.what();
    if (f.status == 401) msg = step + " failed: " + f.message;
    if (attempts > 1) msg += " after " + std::to_string(attempts) + " attempts";
    std::string hint = e.hint();
    if (f.status == 401 && auth_->credentials())
      hint = "unauthorized: the credentials from " + auth_->credentials()->source +
             " were refused; check the user name and password (or token), that the token may push to this "
             "repository, and that it has not expired";
    return Error(msg, hint);
  }
  std::string msg = step + " failed: " + f.message;
  if (attempts > 1) msg += " (gave up after " + std::to_string(attempts) + " attempts)";
  std::string hint = f.hint;
  if (!hint.empty())
    ;  // the failure said what to do
  else if (f.message.find("wrong version number") != std::string::npos || f.message.find("packet length too long") != std::string::npos)
    hint = ref_.registry + " seems to speak plain HTTP; pass --insecure-registry to allow http://";
  else if (f.message.find("certificate") != std::string::npos || f.message.find("SSL") != std::string::npos)
    hint = "the registry's TLS certificate is not trusted: pass --ca-file PEM (or set SSL_CERT_FILE)" +
           std::string(is_loopback_registry(ref_.registry) ? ", or --insecure-registry for a local test registry" : "");
  else if (f.message.find("set SLIMBUILD_") != std::string::npos)
    hint = "the registry kept sending (or sent too slowly); raise the limit as said if the registry is right";
  else
    hint = "check that the registry address is right and reachable";
  return Error(msg, hint);
}

void RegistryClient::wait_before_retry(const std::string& step, const Failure& f, int attempt) {
  Millis d = policy_.delay(attempt, f.retry_after);
  util::info(step + ": " + f.message + "; retrying in " + std::to_string(d.count()) + " ms (attempt " +
             std::to_string(attempt + 1) + " of " + std::to_string(policy_.max_attempts) + ")");
  // Sleep in slices so Ctrl-C during a long Retry-After stops promptly.
  for (auto left = d; left.count() > 0; left -= Millis(100)) {
    util::throw_if_interrupted();
    std::this_thread::sleep_for(std::min(left, Millis(100)));
  }
  util::throw_if_interrupted();
}

}  // namespace slimbuild::registry
