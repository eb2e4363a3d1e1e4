// The huge-pages restart (huge_pages.hpp): the decision from the
// environment snapshot, the one exec, and putting GLIBC_TUNABLES back.
#include "cli/huge_pages.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

namespace slimbuild::cli {

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

// GLIBC_TUNABLES in the process environment: `value`, or unset.
void put_tunables(const std::optional<std::string>& value) {
  if (value)
    ::setenv(kTunables, value->c_str(), 1);
  else
    ::unsetenv(kTunables);
}

}  // namespace

bool finish_huge_pages_restart(util::Environment& env) noexcept {
  try {
    std::optional<std::string> saved = env.value(kSaved);
    if (!saved) return false;
    std::optional<std::string> was;
    if (!saved->empty() && (*saved)[0] == '=') was = saved->substr(1);
    put_tunables(was);
    ::unsetenv(kSaved);
    env = env.with(kTunables, was).with(kSaved, std::nullopt);
    return true;
  } catch (...) {  // std::bad_alloc: the process goes on as it is
    return false;
  }
}

void restart_for_huge_pages(char** argv, const util::Environment& env) noexcept {
  try {
    if (env.value("SLIMBUILD_HUGE_PAGES") == "0") return;
    const std::optional<std::string> tunables = env.value(kTunables);
    if (tunables && tunables->find(kTunable) != std::string::npos) return;  // the user's choice stands
    if (!argv || !argv[0] || !thp_only_when_advised() || ::access("/proc/self/exe", X_OK) != 0) return;
    const std::string saved = tunables ? "=" + *tunables : std::string("-");
    std::string value = std::string(kTunable) + "=1";
    if (tunables && !tunables->empty()) value = *tunables + ":" + value;
    if (::setenv(kSaved, saved.c_str(), 1) == 0 && ::setenv(kTunables, value.c_str(), 1) == 0)
      ::execv("/proc/self/exe", argv);
    // Still here: the exec (or a setenv) failed. Go on as we are, with the
    // environment as it was.
    put_tunables(tunables);
    ::unsetenv(kSaved);
  } catch (...) {  // std::bad_alloc from a string: go on as we are
  }
}

}  // namespace slimbuild::cli
