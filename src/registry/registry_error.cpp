// Error text for registry failures. Registry bodies are untrusted: only the
// JSON fields we know are shown, capped in length, control characters dropped.
#include "registry/registry_error.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include <slimbuild/util/redact.hpp>

namespace slimbuild::registry {

namespace {
std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) {
      out += "…";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}
}  // namespace

std::string describe_registry_error(const std::string& raw_body) {
  if (raw_body.empty()) return {};
  // Redacted before it is shortened: a cut must not leave half a secret.
  const std::string body = util::redact(raw_body);
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  std::string out;
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
      std::string msg = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
      if (!out.empty()) out += "; ";
      out += printable(code, 64);
      if (!code.empty() && !msg.empty()) out += ": ";
      out += printable(msg, 300);
      if (out.size() > 1000) break;
    }
    if (!out.empty()) return out;
  }
  if (j.is_object() && j.contains("details") && j["details"].is_string()) return printable(j["details"].get<std::string>(), 300);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return printable(j["error"].get<std::string>(), 300);
  // HTML error pages from proxies are noise; show only a short excerpt.
  if (body.find('<') != std::string::npos) return {};
  return printable(body, 200);
}

std::string short_digest(const std::string& digest) {
  return digest.size() > 19 ? digest.substr(0, 19) + "…" : digest;
}

Error http_error(const std::string& step, long status, const std::string& body) {
  std::string msg = step + " failed: HTTP " + std::to_string(status);
  std::string detail = describe_registry_error(body);
  if (!detail.empty()) msg += " (" + detail + ")";
  std::string hint;
  if (body.find("DIGEST_INVALID") != std::string::npos)
    hint = "the local blob's bytes do not match its digest: the layout is corrupted; rebuild it";
  else if (body.find("MANIFEST_BLOB_UNKNOWN") != std::string::npos)
    hint = "the registry is missing a blob the manifest names; push again";
  else if (body.find("MANIFEST_INVALID") != std::string::npos || body.find("MANIFEST_UNVERIFIED") != std::string::npos)
    hint = "the registry refused the manifest; it may not support this media type";
  else if (status == 401)
    hint = "unauthorized: log in (docker login / podman login), or pass --username with --password-stdin";
  else if (status == 403)
    hint = "denied: these credentials may not push to this repository";
  else if (status == 404)
    hint = "check the registry address and repository name";
  else if (status == 429)
    hint = "the registry is rate-limiting; try again later";
  else if (status >= 500)
    hint = "the registry failed; retried several times — check its health and try again";
  return Error(msg, hint);
}

}  // namespace slimbuild::registry
