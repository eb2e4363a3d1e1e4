// Progress output. Redraws are throttled (10/s) so a fast local registry does
// not spend its time printing; the line is cleared before the final message.
#include "registry/progress.hpp"

#include <cstdio>
#include <iostream>

#include "registry/registry_error.hpp"
#include <slimbuild/util/human_size.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::registry {

BlobProgress::BlobProgress(bool enabled, std::string digest, uint64_t size)
    : enabled_(enabled && util::log_level() != util::LogLevel::Quiet), tty_(util::stderr_is_tty()),
      digest_(std::move(digest)), size_(size), start_(std::chrono::steady_clock::now()) {}

void BlobProgress::update(uint64_t bytes) {
  if (!enabled_ || !tty_) return;
  auto now = std::chrono::steady_clock::now();
  bool completes = bytes >= size_ && last_bytes_ < size_;
  if (bytes == last_bytes_ || (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && !completes)) return;
  last_draw_ = now;
  last_bytes_ = bytes;
  drawn_ = true;
  constexpr int kWidth = 24;
  int filled = size_ ? static_cast<int>(kWidth * std::min<uint64_t>(bytes, size_) / size_) : kWidth;
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  double secs = std::chrono::duration<double>(now - start_).count();
  uint64_t rate = secs > 0.05 ? static_cast<uint64_t>(bytes / secs) : 0;
  std::string line = "\r\033[Kslimbuild: " + short_digest(digest_) + " [" + bar + "] " + util::human_size(bytes) + " / " +
                     util::human_size(size_) + (rate ? "  " + util::human_size(rate) + "/s" : "");
  std::cerr << line << std::flush;
}

void BlobProgress::finish(const std::string& outcome) {
  if (!enabled_) return;
  if (drawn_) std::cerr << "\r\033[K" << std::flush;
  util::info(short_digest(digest_) + " " + outcome);
}

}  // namespace slimbuild::registry
