// TerminalProgress: one redrawn stderr line, rate-limited, cleared at the end.
// "\r" returns to the line's start and "\x1b[K" erases what a longer earlier
// line left behind; finish() erases the line so the next message starts clean.
// The Lines style writes ordinary log lines instead and erases nothing.
#include <slimbuild/util/progress.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace slimbuild::util {

namespace {

std::string bytes_text(double v) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string duration_text(double seconds) {
  auto s = static_cast<uint64_t>(std::ceil(seconds));
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60));
  return buf;
}

}  // namespace

std::string format_progress(std::string_view label, uint64_t done, uint64_t total, double seconds) {
  std::string line(label);
  line += ' ';
  line += bytes_text(static_cast<double>(done));
  if (total > 0) line += " / " + bytes_text(static_cast<double>(total));
  if (seconds > 0 && done > 0) {
    double rate = static_cast<double>(done) / seconds;
    line += ", " + bytes_text(rate) + "/s";
    if (total > done) line += ", ETA " + duration_text(static_cast<double>(total - done) / rate);
  }
  return line;
}

TerminalProgress::TerminalProgress(std::string label, ProgressStyle style, Writer out, Clock clock)
    : label_(std::move(label)), style_(style), out_(std::move(out)), clock_(std::move(clock)) {
  if (!out_) out_ = [](std::string_view s) { std::cerr << s << std::flush; };
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

TerminalProgress::~TerminalProgress() { finish(); }

void TerminalProgress::start(uint64_t total) {
  finish();
  total_ = total;
  done_ = 0;
  start_ = last_draw_ = clock_();
}

void TerminalProgress::advance(uint64_t bytes) {
  done_ += bytes;
  auto now = clock_();
  // Nothing in the first interval: short work never flickers a line.
  if (now - last_draw_ < (style_ == ProgressStyle::Redraw ? kInterval : kLineInterval)) return;
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  std::string text = format_progress(label_, done_, total_, seconds);
  if (style_ == ProgressStyle::Lines) {
    out_("slimbuild: " + text + "\n");
    return;
  }
  out_("\r" + text + "\x1b[K");
  drawn_ = true;
}

void TerminalProgress::finish() {
  if (drawn_) out_("\r\x1b[K");
  drawn_ = false;
}

}  // namespace slimbuild::util
