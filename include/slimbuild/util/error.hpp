// Two tiers of errors. Expected failures inside a stage are values
// (Result<T> = std::expected<T, Error>); anything that ends the command is an
// Error thrown and caught once in main, which prints "slimbuild: <message>"
// plus an optional "hint:" line that says what to do, and exits with
// exit_code(). Messages never contain secrets: callers redact before throwing.
#pragma once

#include <expected>
#include <stdexcept>
#include <string>

namespace slimbuild {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,   // the command failed (bad input, missing library, push error)
  kExitUsage = 2,     // the command line itself is wrong
  kExitMismatch = 3,  // verify/diff: inputs were fine but the images differ
  kExitPolicy = 4,    // audit: the image was read, and the policy does not hold
};

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, std::string hint = {}, int exit_code = kExitFailure)
      : std::runtime_error(std::move(message)), hint_(std::move(hint)), exit_code_(exit_code) {}

  // What the user should do about it; may be empty.
  const std::string& hint() const noexcept { return hint_; }
  int exit_code() const noexcept { return exit_code_; }

 private:
  std::string hint_;
  int exit_code_;
};

template <typename T>
using Result = std::expected<T, Error>;

}  // namespace slimbuild
