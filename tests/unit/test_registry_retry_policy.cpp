// Retry-After parsing and backoff bounds.
#include <catch2/catch.hpp>

#include <slimbuild/registry/retry_policy.hpp>

using namespace slimbuild::registry;
using namespace std::chrono;

TEST_CASE("registry: Retry-After in seconds and as an HTTP-date") {
  auto now = system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(parse_retry_after("120", now) == Millis(120000));
  CHECK(parse_retry_after(" 0 ", now) == Millis(0));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == Millis(30000));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == Millis(0));  // in the past
  // Far-future dates (beyond what system_clock can hold) are a long wait, never UB.
  CHECK(parse_retry_after("Wed, 21 Oct 2515 07:28:00 GMT", now) == Millis(365LL * 24 * 3600 * 1000));
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("-5", now));
  CHECK_FALSE(parse_retry_after("1.5", now));
  CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT trailing", now));
  CHECK_FALSE(parse_retry_after(std::string(1000, '9'), now));
  CHECK(parse_retry_after("99999999999999", now) >= Millis(hours(24)));  // huge, capped by the policy
}

TEST_CASE("registry: backoff grows, is jittered within bounds, and Retry-After is capped") {
  RetryPolicy p;
  p.base = Millis(100);
  p.cap = Millis(1000);
  p.retry_after_cap = Millis(5000);
  for (int i = 0; i < 50; ++i) {
    auto d1 = p.delay(1, std::nullopt);
    CHECK(d1 >= Millis(50));
    CHECK(d1 <= Millis(100));
    auto d3 = p.delay(3, std::nullopt);
    CHECK(d3 >= Millis(200));
    CHECK(d3 <= Millis(400));
    auto d10 = p.delay(10, std::nullopt);
    CHECK(d10 <= Millis(1000));
    CHECK(d10 >= Millis(500));
  }
  CHECK(p.delay(1, Millis(2000)) == Millis(2000));
  CHECK(p.delay(1, Millis(3600000)) == Millis(5000));
}

TEST_CASE("registry: which statuses are retried") {
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L}) CHECK(is_retryable_status(s));
  for (long s : {200L, 201L, 400L, 401L, 403L, 404L, 416L, 501L, 505L}) CHECK_FALSE(is_retryable_status(s));
}
