// Process-wide secret registry behind util::redact(). Longest secrets are
// replaced first, so a secret that contains another (base64 of user:password
// vs. the password) is removed whole.
#include <slimbuild/util/redact.hpp>

#include <algorithm>
#include <mutex>
#include <vector>

namespace slimbuild::util {

namespace {
std::mutex g_mutex;
std::vector<std::string>& secrets() {
  static std::vector<std::string> s;
  return s;
}
}  // namespace

void add_secret(std::string_view secret) {
  if (secret.size() < kMinSecretLength) return;
  std::lock_guard lock(g_mutex);
  auto& s = secrets();
  if (std::find(s.begin(), s.end(), secret) != s.end()) return;
  s.emplace_back(secret);
  std::sort(s.begin(), s.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
  std::string out(text);
  std::lock_guard lock(g_mutex);
  for (const auto& secret : secrets())
    for (auto p = out.find(secret); p != std::string::npos; p = out.find(secret, p + 3)) out.replace(p, secret.size(), "***");
  return out;
}

}  // namespace slimbuild::util
