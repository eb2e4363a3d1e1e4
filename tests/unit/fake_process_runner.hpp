// A util::ProcessRunner that starts nothing: the test says which programs
// exist and answers each argv with a scripted ProcessResult (output, exit
// code, a timeout), and every call is recorded with its options, so git and
// credential-helper callers are tested without the real binaries.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <slimbuild/util/process.hpp>

namespace fake_process {

using slimbuild::util::ProcessOptions;
using slimbuild::util::ProcessResult;

struct Call {
  std::vector<std::string> argv;
  ProcessOptions options;
};

class FakeProcessRunner : public slimbuild::util::ProcessRunner {
 public:
  std::set<std::string, std::less<>> programs;  // what has_program finds
  std::function<ProcessResult(const std::vector<std::string>&, const ProcessOptions&)> handler;
  std::vector<Call> calls;

  ProcessResult run(const std::vector<std::string>& argv, const ProcessOptions& options) override {
    calls.push_back({argv, options});
    return handler ? handler(argv, options) : ProcessResult{};
  }
  bool has_program(std::string_view name) override { return programs.find(name) != programs.end(); }
};

inline ProcessResult result(int exit_code, std::string out, std::string err = {}) {
  ProcessResult r;
  r.exit_code = exit_code;
  r.out = std::move(out);
  r.err = std::move(err);
  return r;
}

}  // namespace fake_process
