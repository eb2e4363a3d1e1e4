// Work handed to another thread when one can be had. A process or cgroup
// limit on threads (a CI container's pids.max, RLIMIT_NPROC) makes
// std::thread throw std::system_error; every optional thread of a build
// then degrades to the caller's own thread (the same results, later),
// never to a failed build.
#pragma once

#include <future>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

namespace slimbuild::util {

// std::async(launch::async, f), or, when no thread can be started, the
// same call deferred: it runs on the thread that first waits for it.
template <class F>
std::future<std::invoke_result_t<std::decay_t<F>>> async_or_deferred(F f) {
  try {
    return std::async(std::launch::async, f);
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, std::move(f));
  }
}

// Adds up to `n` helper threads running `work` to `pool` (a container of
// std::jthread); stops at the first that cannot be started. Returns how
// many were started: the caller's thread is expected to work too.
template <class Pool, class Work>
unsigned add_helpers(Pool& pool, unsigned n, const Work& work) {
  unsigned started = 0;
  try {
    for (; started < n; ++started) pool.emplace_back(work);
  } catch (const std::system_error&) {
  }
  return started;
}

}  // namespace slimbuild::util
