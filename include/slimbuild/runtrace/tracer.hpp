// Running a program under ptrace and recording every path it touched. The
// engine follows forks, vforks, threads and execs (PTRACE_O_TRACE*), stops
// only at the path-taking system calls (a seccomp-bpf filter returns
// SECCOMP_RET_TRACE for them, so every other call runs at full speed),
// forwards every other signal to the program, kills the whole tree on a
// timeout, a Ctrl-C or any error of its own, and sets PTRACE_O_EXITKILL so
// the program cannot outlive the tracer even if slimbuild itself is killed.
//
// With a Sandbox, the program runs the way `slimbuild check` needs it to:
// fresh mount, pid (and, unless network is asked, network) namespaces, /dev
// bound and a private /proc inside `root`, chroot, the image's uid/gid with
// no supplementary groups, and exactly the given environment.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/runtrace/events.hpp>

namespace slimbuild::runtrace {

namespace fs = std::filesystem;

struct Sandbox {
  fs::path root;             // the unpacked image
  unsigned uid = 0, gid = 0;
  std::string workdir = "/";
  bool network = false;      // false = a new, empty network namespace
};

struct RunSpec {
  std::vector<std::string> argv;                 // argv[0]: a path, or a name searched in PATH
  std::optional<std::vector<std::string>> env;   // none = inherit slimbuild's environment
  std::optional<Sandbox> sandbox;
  std::chrono::milliseconds timeout{0};          // 0 = none
  bool seccomp = true;                           // false: stop at every system call (slower; for the benchmark)
  bool stdout_to_stderr = false;                 // keep our stdout for a JSON report
};

// The narrow interface the CLI uses; tests of the rules use recorded
// RunRecords instead.
class Tracer {
 public:
  virtual ~Tracer() = default;
  // Runs the program to its end. Throws Error when it cannot be started (with
  // the reason: not found, no permission to ptrace or to create namespaces).
  virtual RunRecord run(const RunSpec& spec) = 0;
};

class PtraceTracer final : public Tracer {
 public:
  RunRecord run(const RunSpec& spec) override;
};

}  // namespace slimbuild::runtrace
