// `slimbuild diff`: placeholder until its stage lands.
#include "cli/commands.hpp"

#include <slimbuild/util/error.hpp>

namespace slimbuild::cli {

Command add_diff_command(CLI::App& root) {
  Command c;
  c.app = root.add_subcommand("diff", "diff (not implemented yet)");
  c.app->allow_extras();
  c.run = [] () -> int { throw Error("`diff` is not implemented yet"); };
  return c;
}

}  // namespace slimbuild::cli
