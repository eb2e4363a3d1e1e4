// Wall time per pipeline stage, printed with -v ("slimbuild: time: layer
// 1.234 s"), so a slow build says where its time went.
#pragma once

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
    char buf[32];
    std::snprintf(buf, sizeof buf, " %.3f s", std::chrono::duration<double>(now - last_).count());
    debug("time: " + std::string(stage) + buf);
    last_ = now;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace slimbuild::util
