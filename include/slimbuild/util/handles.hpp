// RAII for C handles: a unique_ptr whose deleter is a C free function, and a
// move-only file descriptor. Destructors never report errors.
#pragma once

#include <memory>
#include <utility>

namespace slimbuild::util {

// CHandle<archive, archive_write_free> a{archive_write_new()};
template <auto FreeFn>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p) FreeFn(p);
  }
};
template <typename T, auto FreeFn>
using CHandle = std::unique_ptr<T, CDeleter<FreeFn>>;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd();
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace slimbuild::util
