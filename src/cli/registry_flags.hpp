// Registry flags shared by `build --push`, `push`, `verify`, `inspect` and
// `diff` when they talk to a registry: --ca-file, --insecure-registry,
// --username, --password-stdin.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <slimbuild/registry/push.hpp>

namespace slimbuild::cli {

struct RegistryFlags {
  std::string ca_file;
  bool insecure_registry = false;
  std::string username;
  bool password_stdin = false;
};

void add_registry_flags(CLI::App* app, RegistryFlags& flags);
// Reads the password from stdin when asked; validates combinations.
registry::RegistryOptions to_registry_options(const RegistryFlags& flags);

}  // namespace slimbuild::cli
