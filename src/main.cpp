// slimbuild: parse the command line and run one command (see src/cli/).
#include "cli/cli.hpp"

int main(int argc, char** argv) { return slimbuild::cli::run(argc, argv); }
