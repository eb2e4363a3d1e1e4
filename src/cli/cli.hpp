// The CLI's one entry point, all main() needs: it hides CLI11 and the
// command table (cli/commands.hpp) from the executable.
#pragma once

namespace slimbuild::cli {

// Parses argv and runs the chosen command; `slimbuild MANIFEST ...` means
// `slimbuild build MANIFEST ...`. Returns the process exit code.
int run(int argc, char** argv);

}  // namespace slimbuild::cli
