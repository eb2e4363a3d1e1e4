// The registry flags shared by every command that talks to a registry, and
// their translation into RegistryOptions. The password only ever comes from
// stdin (never argv, where `ps` and shell history would see it).
#include "cli/registry_flags.hpp"

#include <iostream>
#include <iterator>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::cli {

void add_registry_flags(CLI::App* app, RegistryFlags& flags) {
  app->add_option("--ca-file", flags.ca_file, "Extra CA bundle (PEM) to trust for the registry, besides the system store");
  app->add_flag("--insecure-registry", flags.insecure_registry,
                "Allow plain http:// (and unverified TLS) to the registry; never the default");
  app->add_option("--username", flags.username, "Registry user name (with --password-stdin)");
  app->add_flag("--password-stdin", flags.password_stdin, "Read the registry password or token from stdin");
}

registry::RegistryOptions to_registry_options(const RegistryFlags& flags) {
  registry::RegistryOptions o;
  if (flags.password_stdin && flags.username.empty())
    throw Error("--password-stdin needs --username", "pass --username USER together with --password-stdin", kExitUsage);
  if (!flags.username.empty() && !flags.password_stdin)
    throw Error("--username needs --password-stdin", "pipe the password: echo \"$TOKEN\" | slimbuild ... --username USER --password-stdin",
                kExitUsage);
  if (!flags.ca_file.empty()) o.ca_file = flags.ca_file;
  o.insecure_registry = flags.insecure_registry;
  if (flags.password_stdin) {
    std::string password((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    if (password.empty())
      throw Error("--password-stdin: nothing was read from stdin", "pipe the password into slimbuild", kExitUsage);
    o.username = flags.username;
    o.password = std::move(password);
  }
  o.progress = util::log_level() != util::LogLevel::Quiet;
  return o;
}

}  // namespace slimbuild::cli
