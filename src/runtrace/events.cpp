// Names and descriptions for the recorded run (see events.hpp).
#include <slimbuild/runtrace/events.hpp>

#include <string.h>

namespace slimbuild::runtrace {

const char* to_string(Op op) {
  switch (op) {
    case Op::Open: return "open";
    case Op::Stat: return "stat";
    case Op::Access: return "access";
    case Op::Readlink: return "readlink";
    case Op::Exec: return "exec";
    case Op::Modify: return "modify";
  }
  return "?";
}

std::string describe_end(const RunRecord& run) {
  if (run.timed_out) return "timed out and was killed";
  if (run.term_signal) {
    const char* abbrev = sigabbrev_np(run.term_signal);
    return std::string("was killed by ") + (abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(run.term_signal));
  }
  return "exited with status " + std::to_string(run.exit_code);
}

}  // namespace slimbuild::runtrace
