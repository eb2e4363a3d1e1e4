// `slimbuild trace`: placeholder until its stage lands.
#include "cli/commands.hpp"

#include <slimbuild/util/error.hpp>

namespace slimbuild::cli {

Command add_trace_command(CLI::App& root) {
  Command c;
  c.app = root.add_subcommand("trace", "trace (not implemented yet)");
  c.app->allow_extras();
  c.run = [] () -> int { throw Error("`trace` is not implemented yet"); };
  return c;
}

}  // namespace slimbuild::cli
