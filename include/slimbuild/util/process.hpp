// Runs a helper program (git, dpkg-query, docker-credential-*) without a
// shell: argv is passed as is, stdin is fed from a string, stdout and stderr
// are captured. Used only for small outputs.
#pragma once

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
  bool ok() const { return exit_code == 0; }
};

struct ProcessOptions {
  std::string input;                          // written to the child's stdin, then closed
  std::optional<std::string> cwd;             // working directory for the child
  std::map<std::string, std::string> env_set; // added to (or overriding) the inherited environment
};

// Looks up argv[0] in PATH. Never throws for a failing program: check exit_code.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// `name` itself when it holds a '/', else the first executable file named
// `name` in PATH (from util::environment(); /usr/local/bin:/usr/bin:/bin
// when unset); nullopt when there is none.
std::optional<std::filesystem::path> find_program(std::string_view name);
// True if find_program finds `name`.
bool program_in_path(std::string_view name);

}  // namespace slimbuild::util
