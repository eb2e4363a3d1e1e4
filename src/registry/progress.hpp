// Per-blob feedback on stderr while pushing or pulling. On a terminal a
// redrawn bar (bytes, rate); otherwise exactly one line per blob when it is
// done ("sha256:ab12… exists", "mounted from team/base", "uploaded 12.3 MiB"),
// which CI logs and tests read.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace slimbuild::registry {

class BlobProgress {
 public:
  // `enabled` false (or --quiet) prints nothing.
  BlobProgress(bool enabled, std::string digest, uint64_t size);
  // Bytes transferred so far for this blob (monotonic within a session).
  void update(uint64_t bytes);
  // Prints the final line: "<digest> <outcome>".
  void finish(const std::string& outcome);

 private:
  bool enabled_;
  bool tty_;
  std::string digest_;
  uint64_t size_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  uint64_t last_bytes_ = 0;
  bool drawn_ = false;
};

}  // namespace slimbuild::registry
