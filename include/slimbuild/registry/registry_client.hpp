// One repository on one registry, as the distribution API sees it: the
// base URL (https, or http only with --insecure-registry), authentication
// (anonymous, Basic or bearer, refreshed on 401), and two ways to send a
// request: send() retries idempotent requests with backoff; with_retries()
// re-runs a whole multi-request step (an upload session) from scratch.
// Credentials are bound to the registry's origin (scheme, host, port): a
// request to any other origin (an upload Location, a storage redirect) goes
// without Authorization, and only over https unless --insecure-registry
// (https -> http is then followed with a warning, never silently).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <slimbuild/registry/authenticator.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/registry/reference.hpp>
#include <slimbuild/registry/retry_policy.hpp>
#include <slimbuild/registry/transport.hpp>

namespace slimbuild::registry {

// Why one attempt failed, and whether trying again could help.
struct Failure {
  std::string message;  // "HTTP 500 (UNKNOWN: ...)" or the transport error
  bool retryable = false;
  std::optional<Millis> retry_after;
  long status = 0;
  std::string body;
  std::string hint;  // what to do, when the failure knows better than the status

  static Failure from_response(const HttpResponse& r);
  static Failure from_transport(const TransportError& e);
};

template <typename T>
using Attempt = std::expected<T, Failure>;

class RegistryClient {
 public:
  enum class Access { Pull, PullPush };

  // `transport` = nullptr builds the curl transport from `options`.
  RegistryClient(Reference ref, const RegistryOptions& options, Access access, std::unique_ptr<Transport> transport = nullptr);

  // GET /v2/: picks the scheme and learns the auth challenge. Throws Error.
  void ping();

  const Reference& reference() const { return ref_; }
  // "<base>/v2/<repository>/<path>".
  std::string repo_url(const std::string& path) const { return repo_url(ref_.repository, path); }
  std::string repo_url(const std::string& repository, const std::string& path) const;

  // One attempt with authentication (a 401 refreshes the token or learns the
  // challenge once, then the request is sent again).
  Attempt<HttpResponse> send_once(HttpRequest request, const std::vector<std::string>& extra_scopes = {});
  // Retries transport errors and retryable statuses; returns the final
  // response, whatever its status. Throws Error when the last try still
  // could not reach the registry.
  HttpResponse send(const HttpRequest& request, const std::string& step, const std::vector<std::string>& extra_scopes = {});

  // Runs `attempt` until it succeeds, fails for good, or attempts run out.
  template <typename T>
  T with_retries(const std::string& step, const std::function<Attempt<T>()>& attempt) {
    for (int n = 1;; ++n) {
      Attempt<T> r = attempt();
      if (r) return std::move(*r);
      if (!r.error().retryable || n >= policy_.max_attempts) throw final_error(step, r.error(), n);
      wait_before_retry(step, r.error(), n);
    }
  }

  // The Error for a non-retryable or last failure of `step`.
  Error final_error(const std::string& step, const Failure& f, int attempts) const;

 private:
  void wait_before_retry(const std::string& step, const Failure& f, int attempt);
  // The registry's own origin: Authorization as the challenge says.
  Attempt<HttpResponse> send_authorized(const HttpRequest& request, const std::vector<std::string>& extra_scopes);
  // Refuses plain http to another origin (or warns under --insecure-registry).
  std::optional<Failure> check_destination(const std::string& url, bool redirected);
  std::vector<std::string> scopes(const std::vector<std::string>& extra) const;

  Reference ref_;
  RegistryOptions options_;
  Access access_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Authenticator> auth_;
  std::string base_;  // "https://host:port"
  RetryPolicy policy_;
  std::vector<std::string> warned_plain_http_;  // origins already warned about
};

}  // namespace slimbuild::registry
