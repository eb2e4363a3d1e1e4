// use_huge_pages (see the header): the decision, the one exec, and putting
// GLIBC_TUNABLES back in the restarted process.
#include <slimbuild/util/huge_pages.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace slimbuild::util {

namespace {

constexpr const char* kTunables = "GLIBC_TUNABLES";
constexpr const char* kTunable = "glibc.malloc.hugetlb";
// Set only across the exec: what GLIBC_TUNABLES was, after a 1-character
// tag ("-": unset, "=": set to the rest).
constexpr const char* kSaved = "SLIMBUILD_SAVED_GLIBC_TUNABLES";

bool thp_only_when_advised() {
  int fd = ::open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[128] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  return n > 0 && std::strstr(buf, "[madvise]") != nullptr;
}

}  // namespace

void use_huge_pages(char** argv, bool wanted) noexcept {
  try {
    if (const char* saved = std::getenv(kSaved)) {  // the restarted process
      std::string was(saved);
      if (!was.empty() && was[0] == '=')
        ::setenv(kTunables, was.c_str() + 1, 1);
      else
        ::unsetenv(kTunables);
      ::unsetenv(kSaved);
      return;
    }
    const char* off = std::getenv("SLIMBUILD_HUGE_PAGES");
    if (!wanted || (off && std::strcmp(off, "0") == 0)) return;
    const char* tunables = std::getenv(kTunables);
    if (tunables && std::strstr(tunables, kTunable)) return;  // the user's choice stands
    if (!argv || !argv[0] || !thp_only_when_advised() || ::access("/proc/self/exe", X_OK) != 0) return;
    const std::string saved = tunables ? std::string("=") + tunables : std::string("-");
    std::string value = std::string(kTunable) + "=1";
    if (tunables && *tunables) value = std::string(tunables) + ":" + value;
    if (::setenv(kSaved, saved.c_str(), 1) == 0 && ::setenv(kTunables, value.c_str(), 1) == 0)
      ::execv("/proc/self/exe", argv);
    // Still here: the exec (or a setenv) failed. Go on as we are, with the
    // environment as it was.
    if (tunables)
      ::setenv(kTunables, saved.c_str() + 1, 1);
    else
      ::unsetenv(kTunables);
    ::unsetenv(kSaved);
  } catch (...) {  // std::bad_alloc from a string: go on as we are
  }
}

}  // namespace slimbuild::util
