// The out-of-line part of util::Fd (handles.hpp): closing.
#include <slimbuild/util/handles.hpp>

#include <unistd.h>

namespace slimbuild::util {

Fd::~Fd() { reset(); }

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace slimbuild::util
