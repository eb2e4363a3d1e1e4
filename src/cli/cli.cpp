// Top-level CLI: global flags, the command table, the implicit `build`, and
// the single place where fatal errors become a message and an exit code.
#include <unistd.h>  // environ

#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/huge_pages.hpp"

#include <iostream>
#include <vector>

#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/interrupt.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/redact.hpp>

namespace slimbuild::cli {

namespace {

util::Environment process_environment() {
  std::map<std::string, std::string, std::less<>> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return util::Environment(std::move(vars));
}

bool is_subcommand(const std::string& arg) {
  for (const char* c : {"build", "push", "trace", "verify", "diff", "inspect", "sign", "verify-signature", "audit", "check", "init", "help"})
    if (arg == c) return true;
  return false;
}

void report(const Error& e) {
  std::cerr << "slimbuild: error: " << util::redact(e.what()) << "\n";
  if (!e.hint().empty()) std::cerr << "  hint: " << util::redact(e.hint()) << "\n";
}

}  // namespace

int run(int argc, char** argv) {
  // `slimbuild manifest.yml --push` is `slimbuild build manifest.yml --push`.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && !is_subcommand(args[0]) && args[0].rfind('-', 0) != 0) args.insert(args.begin(), "build");
  // The environment, read once: every stage's settings come from this snapshot.
  util::Environment env = process_environment();
  // A build holds its whole tree in memory: malloc in 2 MiB pages. This may
  // restart the process (once); it is worth the 25 ms only for a build.
  if (!finish_huge_pages_restart(env) && !args.empty() && (args[0] == "build" || args[0] == "verify"))
    restart_for_huge_pages(argv, env);
  util::set_environment(std::move(env));

  CLI::App app{"slimbuild: minimal, reproducible container images from a YAML manifest", "slimbuild"};
  app.set_version_flag("--version", std::string("slimbuild ") + SLIMBUILD_VERSION);
  app.require_subcommand(1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "More detail on stderr")->configurable(false);
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");
  app.fallthrough();

  std::vector<Command> commands{add_build_command(app), add_push_command(app), add_trace_command(app),
                                add_verify_command(app), add_diff_command(app), add_inspect_command(app),
                                add_sign_command(app), add_verify_signature_command(app),
                                add_audit_command(app), add_check_command(app),
                                add_init_command(app)};

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  util::set_log_level(quiet ? util::LogLevel::Quiet : verbose ? util::LogLevel::Verbose : util::LogLevel::Normal);

  util::install_interrupt_handlers();
  try {
    for (auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const Error& e) {
    report(e);
    return e.exit_code();
  } catch (const std::exception& e) {
    // A bug or an unexpected library failure: still a clean message, no crash.
    report(Error(std::string("internal error: ") + e.what(), "please report this with the command you ran"));
    return kExitFailure;
  }
  return kExitUsage;
}

}  // namespace slimbuild::cli
