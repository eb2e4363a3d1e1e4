// The traced system calls and the seccomp filter that selects them. The
// filter checks the architecture first: a call made through another ABI
// (x32, ia32 on x86_64) has other numbers, so it is allowed untraced rather
// than misread.
#include "runtrace/syscalls.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstddef>

namespace slimbuild::runtrace {

namespace {

#if defined(__x86_64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "slimbuild's run-time tracer knows the system-call ABI of x86_64 and aarch64 only"
#endif

constexpr PathArg at(int dirfd, int path) { return PathArg{dirfd, path}; }
constexpr PathArg cwd(int path) { return PathArg{kCwd, path}; }
constexpr PathArg none() { return PathArg{kCwd, kNoArg}; }

std::vector<SyscallSpec> make_table() {
  std::vector<SyscallSpec> t;
  auto add = [&](long nr, const char* name, Op op, PathArg a, PathArg b = none(), FlagsFrom f = FlagsFrom::None,
                 int flags_arg = kNoArg) { t.push_back({nr, name, op, a, b, f, flags_arg}); };
#ifdef SYS_open
  add(SYS_open, "open", Op::Open, cwd(0), none(), FlagsFrom::OpenFlags, 1);
#endif
#ifdef SYS_creat
  add(SYS_creat, "creat", Op::Open, cwd(0), none(), FlagsFrom::Creat);
#endif
  add(SYS_openat, "openat", Op::Open, at(0, 1), none(), FlagsFrom::OpenFlags, 2);
#ifdef SYS_openat2
  add(SYS_openat2, "openat2", Op::Open, at(0, 1), none(), FlagsFrom::OpenHow, 2);
#endif
#ifdef SYS_stat
  add(SYS_stat, "stat", Op::Stat, cwd(0));
#endif
#ifdef SYS_lstat
  add(SYS_lstat, "lstat", Op::Stat, cwd(0));
#endif
#ifdef SYS_newfstatat
  add(SYS_newfstatat, "newfstatat", Op::Stat, at(0, 1), none(), FlagsFrom::AtFlags, 3);
#endif
#ifdef SYS_statx
  add(SYS_statx, "statx", Op::Stat, at(0, 1), none(), FlagsFrom::AtFlags, 2);
#endif
#ifdef SYS_access
  add(SYS_access, "access", Op::Access, cwd(0));
#endif
  add(SYS_faccessat, "faccessat", Op::Access, at(0, 1));
#ifdef SYS_faccessat2
  add(SYS_faccessat2, "faccessat2", Op::Access, at(0, 1), none(), FlagsFrom::AtFlags, 3);
#endif
#ifdef SYS_readlink
  add(SYS_readlink, "readlink", Op::Readlink, cwd(0));
#endif
  add(SYS_readlinkat, "readlinkat", Op::Readlink, at(0, 1));
  add(SYS_execve, "execve", Op::Exec, cwd(0));
  add(SYS_execveat, "execveat", Op::Exec, at(0, 1), none(), FlagsFrom::AtFlags, 4);
  // The program's own writes: what it creates or replaces is not an input.
#ifdef SYS_mkdir
  add(SYS_mkdir, "mkdir", Op::Modify, cwd(0));
#endif
  add(SYS_mkdirat, "mkdirat", Op::Modify, at(0, 1));
#ifdef SYS_unlink
  add(SYS_unlink, "unlink", Op::Modify, cwd(0));
#endif
  add(SYS_unlinkat, "unlinkat", Op::Modify, at(0, 1));
#ifdef SYS_rmdir
  add(SYS_rmdir, "rmdir", Op::Modify, cwd(0));
#endif
#ifdef SYS_rename
  add(SYS_rename, "rename", Op::Modify, cwd(0), cwd(1));
#endif
  add(SYS_renameat, "renameat", Op::Modify, at(0, 1), at(2, 3));
#ifdef SYS_renameat2
  add(SYS_renameat2, "renameat2", Op::Modify, at(0, 1), at(2, 3));
#endif
#ifdef SYS_link
  add(SYS_link, "link", Op::Modify, none(), cwd(1));
#endif
  add(SYS_linkat, "linkat", Op::Modify, none(), at(2, 3));
#ifdef SYS_symlink
  add(SYS_symlink, "symlink", Op::Modify, none(), cwd(1));
#endif
  add(SYS_symlinkat, "symlinkat", Op::Modify, none(), at(1, 2));
  add(SYS_truncate, "truncate", Op::Modify, cwd(0));
#ifdef SYS_mknod
  add(SYS_mknod, "mknod", Op::Modify, cwd(0));
#endif
  add(SYS_mknodat, "mknodat", Op::Modify, at(0, 1));
  return t;
}

}  // namespace

const std::vector<SyscallSpec>& traced_syscalls() {
  static const std::vector<SyscallSpec> table = make_table();
  return table;
}

const SyscallSpec* find_syscall(long nr) {
  for (const auto& s : traced_syscalls())
    if (s.nr == nr) return &s;
  return nullptr;
}

std::vector<sock_filter> seccomp_program() {
  const auto& calls = traced_syscalls();
  std::vector<sock_filter> prog;
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0));
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  // One comparison per call; a match jumps to the TRACE return after the
  // ALLOW that ends the list.
  for (size_t i = 0; i < calls.size(); ++i) {
    auto to_trace = static_cast<unsigned char>(calls.size() - i);
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(calls[i].nr), to_trace, 0));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
  return prog;
}

}  // namespace slimbuild::runtrace
