// Feedback on long work: a long loop (the layer writer) reports byte counts to
// a ProgressSink and knows nothing about terminals. TerminalProgress is the
// one real sink: a single line on stderr ("layer 12.3 MiB / 40.0 MiB,
// 8.1 MiB/s, ETA 3s"), redrawn with \r at most every 100 ms and cleared when
// the work ends; or, for a log that is not a terminal (CI with -v), a plain
// "slimbuild: layer ..." line at most once a second. Whether to show it at
// all, and which style, is decided by the CLI (stderr a terminal, not in CI,
// unless -v), which passes a sink down or none. The clock and the writer are
// parameters so unit tests drive both.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace slimbuild::util {

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // A new piece of work of `total` bytes starts (0 = unknown).
  virtual void start(uint64_t total) = 0;
  // `bytes` more bytes are done.
  virtual void advance(uint64_t bytes) = 0;
  // The work ended (successfully or not): nothing of it stays on the screen.
  virtual void finish() = 0;
};

// "layer 12.3 MiB / 40.0 MiB, 8.1 MiB/s, ETA 3s" after `seconds` of work; the
// rate and ETA are left out while nothing is measured yet, the "/ total" part
// when the total is unknown.
std::string format_progress(std::string_view label, uint64_t done, uint64_t total, double seconds);

enum class ProgressStyle {
  Redraw,  // a terminal: one line, redrawn in place, erased at the end
  Lines,   // a log: whole lines, nothing to erase
};

class TerminalProgress final : public ProgressSink {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Writer = std::function<void(std::string_view)>;
  static constexpr std::chrono::milliseconds kInterval{100};       // Redraw: at most ~10 a second
  static constexpr std::chrono::milliseconds kLineInterval{1000};  // Lines: at most one a second

  // Defaults: the steady clock and stderr.
  explicit TerminalProgress(std::string label, ProgressStyle style = ProgressStyle::Redraw, Writer out = {},
                            Clock clock = {});
  ~TerminalProgress() override;
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  void start(uint64_t total) override;
  void advance(uint64_t bytes) override;
  void finish() override;

 private:
  std::string label_;
  ProgressStyle style_;
  Writer out_;
  Clock clock_;
  uint64_t total_ = 0, done_ = 0;
  std::chrono::steady_clock::time_point start_{}, last_draw_{};
  bool drawn_ = false;
};

}  // namespace slimbuild::util
