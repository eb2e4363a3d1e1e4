// `slimbuild build`: placeholder until its stage lands.
#include "cli/commands.hpp"

#include <slimbuild/util/error.hpp>

namespace slimbuild::cli {

Command add_build_command(CLI::App& root) {
  Command c;
  c.app = root.add_subcommand("build", "build (not implemented yet)");
  c.app->allow_extras();
  c.run = [] () -> int { throw Error("`build` is not implemented yet"); };
  return c;
}

}  // namespace slimbuild::cli
