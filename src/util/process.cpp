// posix_spawnp with three pipes and a poll loop, so a child that writes a lot
// to stderr while we feed its stdin cannot deadlock us.
#include <slimbuild/util/process.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/handles.hpp>

extern char** environ;

namespace slimbuild::util {

namespace {
struct Pipe {
  Fd read, write;
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) == 0) {
      read.reset(p[0]);
      write.reset(p[1]);
    }
  }
};
}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessResult result;
  if (argv.empty()) return result;
  Pipe in, out, err;
  if (!in.read || !out.read || !err.read) return result;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err.write.get(), 2);
  if (options.cwd) posix_spawn_file_actions_addchdir_np(&fa, options.cwd->c_str());

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && options.env_set.count(std::string(kv.substr(0, eq)))) continue;
    env_strings.emplace_back(kv);
  }
  for (auto& [k, v] : options.env_set) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  if (rc != 0) {
    result.err = std::string("cannot run ") + argv[0] + ": " + std::strerror(rc);
    return result;
  }

  // Ignore SIGPIPE while feeding a child that may exit early.
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  size_t written = 0;
  if (options.input.empty()) in.write.reset();
  else ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);
  char buf[8192];
  using Clock = std::chrono::steady_clock;
  const std::optional<Clock::time_point> deadline =
      options.timeout ? std::optional(Clock::now() + *options.timeout) : std::nullopt;
  while (out.read || err.read) {
    pollfd fds[3];
    int n = 0;
    if (out.read) fds[n++] = {out.read.get(), POLLIN, 0};
    if (err.read) fds[n++] = {err.read.get(), POLLIN, 0};
    if (in.write) fds[n++] = {in.write.get(), POLLOUT, 0};
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) {
        ::kill(pid, SIGKILL);
        result.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<long long>(left, 60'000));
    }
    if (::poll(fds, n, wait_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (in.write && fds[i].fd == in.write.get()) {
        ssize_t w = ::write(in.write.get(), options.input.data() + written, options.input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) in.write.reset();
        else if (written == options.input.size()) in.write.reset();
        continue;
      }
      Fd& src = (out.read && fds[i].fd == out.read.get()) ? out.read : err.read;
      std::string& dst = (&src == &out.read) ? result.out : result.err;
      ssize_t r = ::read(src.get(), buf, sizeof buf);
      if (r > 0) dst.append(buf, static_cast<size_t>(r));
      else if (r == 0 || (errno != EINTR && errno != EAGAIN)) src.reset();
    }
  }
  in.write.reset();
  ::sigaction(SIGPIPE, &old, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::optional<std::filesystem::path> find_program(std::string_view name) {
  auto runnable = [](const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path p(name);
    return runnable(p) ? std::optional(p) : std::nullopt;
  }
  // POSIX: an empty PATH entry is the current directory.
  std::string dirs = environment().get("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  for (std::size_t i = 0; i <= dirs.size();) {
    std::size_t j = std::min(dirs.find(':', i), dirs.size());
    std::filesystem::path candidate = std::filesystem::path(j > i ? dirs.substr(i, j - i) : ".") / name;
    if (runnable(candidate)) return candidate;
    i = j + 1;
  }
  return std::nullopt;
}

bool program_in_path(std::string_view name) { return find_program(name).has_value(); }

namespace {
class RealProcessRunner final : public ProcessRunner {
 public:
  ProcessResult run(const std::vector<std::string>& argv, const ProcessOptions& options) override {
    return run_process(argv, options);
  }
  bool has_program(std::string_view name) override { return program_in_path(name); }
};
}  // namespace

ProcessRunner& real_process_runner() {
  static RealProcessRunner runner;
  return runner;
}

}  // namespace slimbuild::util
