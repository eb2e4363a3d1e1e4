// Runs a helper program (git, dpkg-query, docker-credential-*) without a
// shell: argv is passed as is, stdin is fed from a string, stdout and stderr
// are captured. Used only for small outputs. Stages that run programs (git,
// credential helpers) take a ProcessRunner, the narrow interface unit tests
// replace with a fake that scripts a program's output, exit code or hang;
// real_process_runner() is run_process and find_program.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slimbuild::util {

struct ProcessResult {
  int exit_code = -1;  // -1 when the program could not be started
  std::string out;
  std::string err;
  bool timed_out = false;  // killed when ProcessOptions::timeout ran out
  bool ok() const { return exit_code == 0 && !timed_out; }
};

struct ProcessOptions {
  std::string input;                          // written to the child's stdin, then closed
  std::optional<std::string> cwd;             // working directory for the child
  std::map<std::string, std::string> env_set; // added to (or overriding) the inherited environment
  // The child is killed (SIGKILL) when it has not finished by then; nullopt = wait for ever.
  std::optional<std::chrono::milliseconds> timeout;
};

// Looks up argv[0] in PATH. Never throws for a failing program: check exit_code.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// `name` itself when it holds a '/', else the first executable file named
// `name` in PATH (from util::environment(); /usr/local/bin:/usr/bin:/bin
// when unset); nullopt when there is none.
std::optional<std::filesystem::path> find_program(std::string_view name);
// True if find_program finds `name`.
bool program_in_path(std::string_view name);

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual ProcessResult run(const std::vector<std::string>& argv, const ProcessOptions& options = {}) = 0;
  // Whether argv[0] = `name` could be started (program_in_path for the real one).
  virtual bool has_program(std::string_view name) = 0;
};

// run_process and program_in_path: what every caller uses outside unit tests.
ProcessRunner& real_process_runner();

}  // namespace slimbuild::util
