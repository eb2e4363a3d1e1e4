// stderr logging with a global level; no allocation-heavy formatting library.
// Every line goes through util::redact (secrets never reach the terminal).
#include <slimbuild/util/log.hpp>

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/redact.hpp>

namespace slimbuild::util {

namespace {
LogLevel g_level = LogLevel::Normal;
void emit(std::string_view prefix, std::string_view message) {
  std::string line = "slimbuild: ";
  line += prefix;
  line += redact(message);
  line += '\n';
  std::cerr << line << std::flush;
}
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

void info(std::string_view message) {
  if (g_level != LogLevel::Quiet) emit("", message);
}
void debug(std::string_view message) {
  if (g_level == LogLevel::Verbose) emit("", message);
}
void warn(std::string_view message) { emit("warning: ", message); }

bool stderr_is_tty() { return ::isatty(2) == 1; }
bool use_color() {
  return stderr_is_tty() && !environment().get("NO_COLOR");
}

}  // namespace slimbuild::util
