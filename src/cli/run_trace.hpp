// `slimbuild trace --run` (the flags live on the trace command, the work
// here) and the output both it and `check` print: a Proposal as manifest
// lines or JSON, and the program's end on stderr.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <slimbuild/runtrace/events.hpp>
#include <slimbuild/runtrace/usage.hpp>

namespace slimbuild::cli {

struct RunTraceOptions {
  bool enabled = false;        // --run
  std::string manifest;        // --manifest M
  bool write = false;          // --write
  double timeout_seconds = 0;  // --timeout S
  bool no_seccomp = false;     // --no-seccomp
  bool json = false;
  std::vector<std::string> argv;
};

void add_run_trace_flags(CLI::App* app, RunTraceOptions& options);
int run_trace(const RunTraceOptions& options);

// Shared with check_command.cpp.
nlohmann::json proposal_json(const runtrace::Proposal& p);
nlohmann::json run_json(const runtrace::RunRecord& run, const std::vector<std::string>& argv);
std::chrono::milliseconds timeout_ms(double seconds);

}  // namespace slimbuild::cli
