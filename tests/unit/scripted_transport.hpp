// A Transport whose answers a test writes as a function of the request, and
// that records every request it saw: what the registry unit tests (client,
// whole push, whole pull) drive RegistryClient over, for exchanges a real
// docker-registry does not produce on demand. Plus small helpers to build a
// response and read a request's header or streamed file body.
#pragma once

#include <unistd.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <slimbuild/registry/transport.hpp>

namespace scripted {

using slimbuild::registry::FileRange;
using slimbuild::registry::HttpRequest;
using slimbuild::registry::HttpResponse;
using slimbuild::registry::TransportError;

class ScriptedTransport : public slimbuild::registry::Transport {
 public:
  std::function<HttpResponse(const HttpRequest&)> handler;
  std::vector<HttpRequest> seen;
  std::expected<HttpResponse, TransportError> perform(const HttpRequest& r) override {
    seen.push_back(r);
    return handler(r);
  }
};

inline HttpResponse resp(long status, std::multimap<std::string, std::string> headers = {}, std::string body = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

inline std::string header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

inline std::string read_range(const FileRange& f) {
  std::string out(f.length, '\0');
  REQUIRE(::pread(f.fd, out.data(), f.length, static_cast<off_t>(f.offset)) == static_cast<ssize_t>(f.length));
  return out;
}

}  // namespace scripted
