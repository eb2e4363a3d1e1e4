// The system calls the tracer stops at, and where their path arguments sit:
// one table for the host architecture (built from <sys/syscall.h>, so the
// legacy open/stat/access/readlink only exist where the kernel has them),
// and the seccomp-bpf program that sends exactly those calls to the tracer.
#pragma once

#include <linux/filter.h>

#include <vector>

#include <slimbuild/runtrace/events.hpp>

namespace slimbuild::runtrace {

inline constexpr int kNoArg = -1;
inline constexpr int kCwd = -2;  // "the dirfd is AT_FDCWD": the call has no dirfd argument

struct PathArg {
  int dirfd = kCwd;  // index of the dirfd argument, or kCwd
  int path = kNoArg; // index of the path argument
};

enum class FlagsFrom { None, OpenFlags, OpenHow, AtFlags, Creat };

struct SyscallSpec {
  long nr;
  const char* name;
  Op op;
  PathArg first;
  PathArg second;                   // rename/link: the new name; symlink: the link itself
  FlagsFrom flags = FlagsFrom::None;
  int flags_arg = kNoArg;           // index of the flags (or open_how pointer)
};

const std::vector<SyscallSpec>& traced_syscalls();
const SyscallSpec* find_syscall(long nr);

// SECCOMP_RET_TRACE for every call in traced_syscalls(), SECCOMP_RET_ALLOW
// for the rest (and for any other architecture's calling convention).
std::vector<sock_filter> seccomp_program();

}  // namespace slimbuild::runtrace
