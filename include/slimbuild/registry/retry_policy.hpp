// When and how long to wait before trying a registry request again:
// exponential backoff with full jitter, capped, honouring a server's
// Retry-After (seconds or HTTP-date, itself capped so a hostile server cannot
// park us for hours). SLIMBUILD_RETRY_BASE_MS shortens the delays in tests.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace slimbuild::registry {

using Millis = std::chrono::milliseconds;

// Parses a Retry-After value relative to `now`; nullopt when unparseable.
// A date in the past yields zero.
std::optional<Millis> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// True for statuses worth retrying: 408, 429 and 5xx except 501/505.
bool is_retryable_status(long status);

struct RetryPolicy {
  int max_attempts = 5;
  Millis base{500};
  Millis cap{15000};            // longest backoff between attempts
  Millis retry_after_cap{60000};

  // Delay before attempt number `attempt` (1 = the first retry).
  Millis delay(int attempt, std::optional<Millis> retry_after) const;

  // Defaults, with SLIMBUILD_RETRY_BASE_MS / SLIMBUILD_RETRY_ATTEMPTS applied.
  static RetryPolicy from_env();
};

}  // namespace slimbuild::registry
