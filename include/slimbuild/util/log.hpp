// Human-facing output on stderr. stdout is reserved for results (the final
// digest line, --json documents), so everything else goes through here.
#pragma once

#include <string_view>

namespace slimbuild::util {

enum class LogLevel { Quiet, Normal, Verbose };

void set_log_level(LogLevel level);
LogLevel log_level();

// "slimbuild: ..." progress/info lines (suppressed when Quiet).
void info(std::string_view message);
// Only with --verbose.
void debug(std::string_view message);
// Always shown: "slimbuild: warning: ...".
void warn(std::string_view message);

// True when stderr is a terminal (progress bars); false in CI and pipes.
bool stderr_is_tty();
// Colour only on a terminal and when NO_COLOR is unset.
bool use_color();

}  // namespace slimbuild::util
