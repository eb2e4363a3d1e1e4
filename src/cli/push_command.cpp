// `slimbuild push`: placeholder until its stage lands.
#include "cli/commands.hpp"

#include <slimbuild/util/error.hpp>

namespace slimbuild::cli {

Command add_push_command(CLI::App& root) {
  Command c;
  c.app = root.add_subcommand("push", "push (not implemented yet)");
  c.app->allow_extras();
  c.run = [] () -> int { throw Error("`push` is not implemented yet"); };
  return c;
}

}  // namespace slimbuild::cli
