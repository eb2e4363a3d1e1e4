// The command table. Each command lives in its own file (build_command.cpp,
// push_command.cpp, ...) and registers a CLI11 subcommand plus the function
// that runs it once parsing succeeded. Runners return the exit code; fatal
// errors are thrown as slimbuild::Error and reported once by cli::run.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace slimbuild::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_build_command(CLI::App& root);
Command add_push_command(CLI::App& root);
Command add_trace_command(CLI::App& root);
Command add_verify_command(CLI::App& root);
Command add_diff_command(CLI::App& root);
Command add_inspect_command(CLI::App& root);
Command add_sign_command(CLI::App& root);
Command add_verify_signature_command(CLI::App& root);
Command add_audit_command(CLI::App& root);
Command add_check_command(CLI::App& root);
Command add_init_command(CLI::App& root);

}  // namespace slimbuild::cli
