// The ptrace engine. The child stops itself right after PTRACE_TRACEME so
// the options (follow forks/clones/execs, EXITKILL, seccomp events) are set
// before it runs anything of the program's; it then installs the seccomp
// filter and execs. Each traced call is read at its seccomp stop (arguments,
// paths resolved against /proc/PID/cwd or /proc/PID/fd/N while they still
// mean what the program meant) and completed at its syscall-exit stop (the
// result). PTRACE_GET_SYSCALL_INFO gives both in an architecture-neutral
// form. Every other stop is a signal for the program (forwarded), a new
// child's first SIGSTOP (swallowed), or a group stop (resumed).
#include <slimbuild/runtrace/tracer.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "runtrace/syscalls.hpp"
#include "runtrace/paths.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/interrupt.hpp>

extern char** environ;

namespace slimbuild::runtrace {

namespace {

volatile sig_atomic_t g_alarm = 0;
void on_alarm(int) { g_alarm = 1; }

struct Pending {
  const SyscallSpec* spec = nullptr;
  std::string path, path2;  // resolved at entry
  bool writes = false;
};

struct Tracee {
  bool started = false;    // its first stop has been seen
  bool in_syscall = false; // between a seccomp stop and the syscall-exit stop
  Pending pending;
};

// Reads a NUL-terminated string from the tracee, page by page (a path may
// end right before an unmapped page).
std::optional<std::string> read_string(pid_t pid, unsigned long addr) {
  if (addr == 0) return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() < 8192) {
    size_t room = 4096 - (addr % 4096);
    iovec local{buf, room}, remote{reinterpret_cast<void*>(addr), room};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return std::nullopt;
    const char* end = static_cast<const char*>(memchr(buf, '\0', static_cast<size_t>(n)));
    if (end) return out + std::string(buf, static_cast<size_t>(end - buf));
    out.append(buf, static_cast<size_t>(n));
    addr += static_cast<unsigned long>(n);
  }
  return std::nullopt;
}

std::string readlink_str(const std::string& link) {
  char buf[4096];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

class Session {
 public:
  Session(const RunSpec& spec, std::string root) : spec_(spec), root_(std::move(root)) {}

  RunRecord run();

 private:
  pid_t start_child(int err_pipe);
  [[noreturn]] void child_main(int err_pipe);
  void loop();
  void resume(pid_t pid, int sig);
  void on_syscall_entry(pid_t pid, Tracee& t, const __ptrace_syscall_info& info);
  void on_syscall_exit(pid_t pid, Tracee& t, const __ptrace_syscall_info& info);
  std::string resolve(pid_t pid, const PathArg& arg, const __ptrace_syscall_info& info);
  void record_maps(pid_t pid);
  void kill_all();

  const RunSpec& spec_;
  std::string root_;  // canonical sandbox root ("" on the host)
  pid_t first_ = -1;
  std::map<pid_t, Tracee> tracees_;
  std::set<std::string> mapped_;
  RunRecord rec_;
  bool killing_ = false;
};

// Everything the child does before exec must be async-signal-safe-ish (we
// forked a possibly threaded process): only system calls, and a message on
// the error pipe when one fails.
[[noreturn]] void die(int fd, const char* what) {
  int e = errno;
  const char* msg = strerror(e);
  ssize_t ignored = ::write(fd, what, strlen(what));
  ignored = ::write(fd, ": ", 2);
  ignored = ::write(fd, msg, strlen(msg));
  (void)ignored;
  _exit(127);
}

void Session::child_main(int err_pipe) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (spec_.sandbox) {
    const Sandbox& sb = *spec_.sandbox;
    std::string dev = root_ + "/dev", proc = root_ + "/proc";
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die(err_pipe, "make / private");
    if (::mount("/dev", dev.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) die(err_pipe, "bind /dev");
    if (::mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) die(err_pipe, "mount /proc");
    if (::chroot(root_.c_str()) != 0) die(err_pipe, "chroot");
    if (::chdir(sb.workdir.empty() ? "/" : sb.workdir.c_str()) != 0) die(err_pipe, "chdir to the image's WorkingDir");
    gid_t g = sb.gid;
    if (::setgroups(1, &g) != 0) die(err_pipe, "setgroups");
    if (::setgid(sb.gid) != 0) die(err_pipe, "setgid");
    if (::setuid(sb.uid) != 0) die(err_pipe, "setuid");
  }
  if (spec_.stdout_to_stderr && ::dup2(2, 1) < 0) die(err_pipe, "dup2");
  if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) die(err_pipe, "ptrace(PTRACE_TRACEME)");
  ::raise(SIGSTOP);  // the tracer sets its options now
  if (spec_.seccomp) {
    static std::vector<sock_filter> filter = seccomp_program();
    sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die(err_pipe, "prctl(PR_SET_NO_NEW_PRIVS)");
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) die(err_pipe, "seccomp");
  }
  std::vector<char*> argv;
  for (const auto& a : spec_.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  static std::vector<char*> envp;
  if (spec_.env) {
    for (const auto& e : *spec_.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    environ = envp.data();  // execvp searches the program's PATH, not ours
  }
  ::execvp(argv[0], argv.data());
  die(err_pipe, ("cannot run " + spec_.argv[0]).c_str());
}

pid_t Session::start_child(int err_pipe) {
  // The argument vectors are built before forking, so the child only copies
  // pointers.
  unsigned long flags = SIGCHLD;
  if (spec_.sandbox) flags |= CLONE_NEWNS | CLONE_NEWPID | (spec_.sandbox->network ? 0 : CLONE_NEWNET);
  long pid = ::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) child_main(err_pipe);
  if (pid < 0)
    throw Error(std::string("cannot start the program: clone: ") + strerror(errno),
                spec_.sandbox ? "running an image needs root (mount and pid namespaces)" : "");
  return static_cast<pid_t>(pid);
}

void Session::kill_all() {
  killing_ = true;
  for (const auto& [pid, t] : tracees_) ::kill(pid, SIGKILL);
}

void Session::resume(pid_t pid, int sig) {
  auto it = tracees_.find(pid);
  bool wait_exit = !spec_.seccomp || (it != tracees_.end() && it->second.in_syscall);
  // ESRCH: it died meanwhile (SIGKILL, exit of another thread); waitpid reports it.
  ::ptrace(wait_exit ? PTRACE_SYSCALL : PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
}

std::string Session::resolve(pid_t pid, const PathArg& arg, const __ptrace_syscall_info& info) {
  auto raw = read_string(pid, info.entry.args[arg.path]);
  if (!raw || raw->empty()) return {};
  if ((*raw)[0] == '/') return normalize_path(*raw);
  std::string base;
  int dirfd = arg.dirfd == kCwd ? AT_FDCWD : static_cast<int>(info.entry.args[arg.dirfd]);
  if (dirfd == AT_FDCWD)
    base = readlink_str("/proc/" + std::to_string(pid) + "/cwd");
  else
    base = readlink_str("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(dirfd));
  if (base.empty() || base[0] != '/') return {};
  base = strip_root(root_, base);
  return normalize_path(base + "/" + *raw);
}

void Session::on_syscall_entry(pid_t pid, Tracee& t, const __ptrace_syscall_info& info) {
  t.pending = Pending{};
  long nr = info.op == PTRACE_SYSCALL_INFO_SECCOMP ? static_cast<long>(info.seccomp.nr) : static_cast<long>(info.entry.nr);
  const SyscallSpec* spec = find_syscall(nr);
  if (!spec) return;
  t.pending.spec = spec;
  if (spec->first.path != kNoArg) t.pending.path = resolve(pid, spec->first, info);
  if (spec->second.path != kNoArg) t.pending.path2 = resolve(pid, spec->second, info);
  unsigned long long flags = spec->flags_arg == kNoArg ? 0 : info.entry.args[spec->flags_arg];
  switch (spec->flags) {
    case FlagsFrom::OpenFlags:
      t.pending.writes = (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
      break;
    case FlagsFrom::OpenHow: {
      open_how how{};
      iovec local{&how, sizeof how}, remote{reinterpret_cast<void*>(flags), sizeof how};
      if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(sizeof how))
        t.pending.writes = (how.flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
      break;
    }
    case FlagsFrom::Creat:
      t.pending.writes = true;
      break;
    case FlagsFrom::AtFlags:
      // fstatat(fd, "", AT_EMPTY_PATH) is a stat of an open file: no path.
      if ((flags & AT_EMPTY_PATH) && t.pending.path.empty()) t.pending.spec = nullptr;
      break;
    case FlagsFrom::None:
      break;
  }
}

void Session::on_syscall_exit(pid_t pid, Tracee& t, const __ptrace_syscall_info& info) {
  Pending p = std::move(t.pending);
  t.pending = Pending{};
  if (!p.spec) return;
  int error = info.exit.is_error ? static_cast<int>(-info.exit.rval) : 0;
  auto add = [&](const std::string& path, bool writes) {
    if (path.empty()) return;
    rec_.events.push_back(Event{static_cast<int>(pid), p.spec->op, path, error, writes || p.spec->op == Op::Modify});
  };
  add(p.path, p.writes);
  add(p.path2, true);
}

void Session::record_maps(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    // address perms offset dev inode pathname
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (path.size() > 10 && path.ends_with(" (deleted)")) continue;
    mapped_.insert(strip_root(root_, path));
  }
}

void Session::loop() {
  while (!tracees_.empty()) {
    if (!killing_ && (g_alarm || util::interrupt_signal())) {
      if (g_alarm) rec_.timed_out = true;
      kill_all();
    }
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      kill_all();
      throw Error(std::string("waiting for the traced program: ") + strerror(errno));
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (pid == first_) {
        rec_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        rec_.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      }
      tracees_.erase(pid);
      continue;
    }
    if (!WIFSTOPPED(status)) continue;
    Tracee& t = tracees_[pid];  // a new thread or child may stop before its parent's event
    int sig = WSTOPSIG(status);
    unsigned event = static_cast<unsigned>(status) >> 16;
    if (!t.started) {
      t.started = true;
      if (sig == SIGSTOP) {
        resume(pid, 0);
        continue;
      }
    }
    if (sig == (SIGTRAP | 0x80)) {
      ++rec_.syscall_stops;
      __ptrace_syscall_info info{};
      if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) > 0) {
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
          if (!spec_.seccomp) on_syscall_entry(pid, t, info);
        } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
          on_syscall_exit(pid, t, info);
          t.in_syscall = false;
        }
      }
      resume(pid, 0);
      continue;
    }
    if (sig == SIGTRAP && event != 0) {
      if (event == PTRACE_EVENT_SECCOMP) {
        ++rec_.syscall_stops;
        __ptrace_syscall_info info{};
        if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) > 0 && info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
          on_syscall_entry(pid, t, info);
          t.in_syscall = true;
        }
      } else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
        unsigned long child = 0;
        if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &child) == 0) tracees_.try_emplace(static_cast<pid_t>(child));
      } else if (event == PTRACE_EVENT_EXEC) {
        // A thread that exec()s takes over the leader's pid; the old one is gone.
        unsigned long former = 0;
        if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &former) == 0 && static_cast<pid_t>(former) != pid)
          tracees_.erase(static_cast<pid_t>(former));
      } else if (event == PTRACE_EVENT_EXIT) {
        record_maps(pid);
      }
      resume(pid, 0);
      continue;
    }
    // A signal for the program, or a group stop (no siginfo): pass it on.
    siginfo_t si{};
    if (::ptrace(PTRACE_GETSIGINFO, pid, nullptr, &si) != 0) {
      resume(pid, 0);
      continue;
    }
    resume(pid, sig);
  }
}

RunRecord Session::run() {
  if (spec_.argv.empty()) throw Error("no program to run", "give it after --, e.g. -- /usr/bin/python3 app.py");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + strerror(errno));
  util::Fd rd(fds[0]), wr(fds[1]);
  first_ = start_child(wr.get());
  wr.reset();
  tracees_[first_];

  struct sigaction sa {}, old_sa {};
  sa.sa_handler = on_alarm;
  sa.sa_flags = 0;  // no SA_RESTART: waitpid returns EINTR and the loop checks the clock
  g_alarm = 0;
  ::sigaction(SIGALRM, &sa, &old_sa);
  if (spec_.timeout.count() > 0) {
    itimerval tv{};
    tv.it_value.tv_sec = spec_.timeout.count() / 1000;
    tv.it_value.tv_usec = (spec_.timeout.count() % 1000) * 1000;
    tv.it_interval.tv_usec = 100 * 1000;  // keeps firing, so a signal that lands just before waitpid is not lost
    ::setitimer(ITIMER_REAL, &tv, nullptr);
  }
  // The first stop is the child's own SIGSTOP after PTRACE_TRACEME.
  int status = 0;
  pid_t got;
  do got = ::waitpid(first_, &status, __WALL);
  while (got < 0 && errno == EINTR && !g_alarm);
  try {
    if (got == first_ && WIFSTOPPED(status)) {
      long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                  PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT;
      if (spec_.seccomp) opts |= PTRACE_O_TRACESECCOMP;
      if (::ptrace(PTRACE_SETOPTIONS, first_, nullptr, reinterpret_cast<void*>(opts)) != 0) {
        ::kill(first_, SIGKILL);
        throw Error(std::string("cannot trace the program: PTRACE_SETOPTIONS: ") + strerror(errno),
                    "the kernel must allow ptrace (and seccomp) here");
      }
      tracees_[first_].started = true;
      resume(first_, 0);
      loop();
    } else if (got == first_) {
      rec_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      rec_.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    } else {
      ::kill(first_, SIGKILL);
      ::waitpid(first_, nullptr, __WALL);
      rec_.timed_out = g_alarm != 0;
    }
  } catch (...) {
    kill_all();
    while (::waitpid(-1, nullptr, __WALL) > 0 || errno == EINTR) {}
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    ::sigaction(SIGALRM, &old_sa, nullptr);
    throw;
  }
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &old_sa, nullptr);

  // The child writes to the pipe only when it failed before (or at) exec.
  char buf[512];
  ssize_t n = ::read(rd.get(), buf, sizeof buf);
  if (n > 0) rec_.start_error.assign(buf, static_cast<size_t>(n));
  rec_.mapped.assign(mapped_.begin(), mapped_.end());
  util::throw_if_interrupted();
  return std::move(rec_);
}

}  // namespace

RunRecord PtraceTracer::run(const RunSpec& spec) {
  std::string root;
  if (spec.sandbox) {
    std::error_code ec;
    root = fs::canonical(spec.sandbox->root, ec).string();
    if (ec) throw Error("cannot use " + spec.sandbox->root.string() + " as the program's root: " + ec.message());
  }
  Session s(spec, root);
  return s.run();
}

}  // namespace slimbuild::runtrace
