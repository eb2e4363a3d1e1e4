// Wall time per pipeline stage and the process's peak RSS at its end,
// printed with -v ("slimbuild: time: layer 1.234 s (peak RSS so far 42
// MiB)"), so a slow or large build says where its time and memory went.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include <slimbuild/util/log.hpp>

namespace slimbuild::util {

class StageTimer {
 public:
  // Reports the time since the last mark (or construction) as `stage`.
  void mark(std::string_view stage) {
    auto now = std::chrono::steady_clock::now();
    char buf[64];
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    std::snprintf(buf, sizeof buf, " %.3f s (peak RSS so far %ld MiB)",
                  std::chrono::duration<double>(now - last_).count(), ru.ru_maxrss / 1024);
    debug("time: " + std::string(stage) + buf);
    last_ = now;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace slimbuild::util
