// What a traced run did to the file system, as plain data: one Event per
// path-taking system call that finished (its path made absolute inside the
// program's root, its result), plus the files mapped into each process and
// how the program ended. The ptrace engine produces this; everything that
// decides what an image needs (usage.hpp, missing.hpp) reads only this, so
// those rules are unit-tested on recorded runs without ptrace.
#pragma once

#include <string>
#include <vector>

namespace slimbuild::runtrace {

enum class Op {
  Open,      // open/openat/openat2/creat (read-only unless `writes`)
  Stat,      // stat/lstat/newfstatat/statx
  Access,    // access/faccessat/faccessat2
  Readlink,  // readlink/readlinkat
  Exec,      // execve/execveat
  Modify,    // mkdir, unlink, rename, link, symlink, truncate...: the program's own writes
};

struct Event {
  int pid = 0;
  Op op = Op::Open;
  std::string path;    // absolute, lexically normalised, inside the program's root
  int error = 0;       // 0 = the call succeeded, else its errno (ENOENT, ...)
  bool writes = false; // Open with O_WRONLY/O_RDWR/O_CREAT/O_TRUNC; always true for Modify
};

struct RunRecord {
  std::vector<Event> events;          // in the order the calls finished
  std::vector<std::string> mapped;    // file-backed mappings seen in /proc/PID/maps at each exit, deduplicated
  int exit_code = -1;                 // of the first process, when it exited
  int term_signal = 0;                // the signal that killed it, else 0
  bool timed_out = false;             // killed by the tracer after --timeout
  std::string start_error;            // set when the program could not be started ("cannot run X: No such file...")
  long syscall_stops = 0;             // how many system-call stops the tracer handled (for the benchmark)
};

const char* to_string(Op op);

// "exited with status 0", "killed by SIGSEGV", "timed out after 5 s and was killed".
std::string describe_end(const RunRecord& run);

}  // namespace slimbuild::runtrace
