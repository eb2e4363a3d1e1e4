// Backoff arithmetic and Retry-After parsing, kept pure for unit tests.
#include <slimbuild/registry/retry_policy.hpp>

#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>

#include <slimbuild/util/environment.hpp>

namespace slimbuild::registry {

namespace {
std::optional<long long> env_number(const char* name) {
  auto n = util::environment().number(name);
  return n && *n <= 1'000'000'000 ? std::optional<long long>(static_cast<long long>(*n)) : std::nullopt;
}
}  // namespace

std::optional<Millis> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 64) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return Millis(std::chrono::hours(24 * 365));  // absurd; the cap applies later
    return Millis(std::stoll(std::string(value)) * 1000);
  }
  // HTTP-date (IMF-fixdate), e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::string s(value);
  struct tm tm {};
  const char* end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) return std::nullopt;
  time_t when = ::timegm(&tm);
  if (when == static_cast<time_t>(-1)) return std::nullopt;
  // Compared in seconds: a date past 2262 does not fit system_clock's
  // nanoseconds (found by fuzz_www_authenticate: "Wed, 21 Oct 2515 ...").
  const time_t now_s = std::chrono::system_clock::to_time_t(now);
  if (when <= now_s) return Millis(0);
  const long long wait_s = std::min<long long>(static_cast<long long>(when) - now_s, 365LL * 24 * 3600);  // the cap applies later
  return Millis(wait_s * 1000);
}

bool is_retryable_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}

Millis RetryPolicy::delay(int attempt, std::optional<Millis> retry_after) const {
  if (retry_after) return std::min(*retry_after, retry_after_cap);
  long long ceiling = base.count();
  for (int i = 1; i < attempt && ceiling < cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<long long>(ceiling, cap.count());
  // Full jitter, but never less than half the step so retries stay spaced.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<long long> dist(ceiling / 2, std::max<long long>(ceiling, 1));
  return Millis(dist(rng));
}

RetryPolicy RetryPolicy::from_env() {
  RetryPolicy p;
  if (auto b = env_number("SLIMBUILD_RETRY_BASE_MS")) {
    p.base = Millis(*b);
    p.cap = Millis(std::max<long long>(*b * 8, 1));
  }
  if (auto a = env_number("SLIMBUILD_RETRY_ATTEMPTS"); a && *a >= 1 && *a <= 20) p.max_attempts = static_cast<int>(*a);
  return p;
}

}  // namespace slimbuild::registry
