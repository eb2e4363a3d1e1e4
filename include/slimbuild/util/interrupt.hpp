// Ctrl-C and `kill` during a build or push. The first SIGINT/SIGTERM/SIGHUP
// only sets a flag; the long-running loops (reading layer inputs, curl
// transfers) poll it and throw, so the ordinary error path runs and every
// AtomicDir / temporary file is removed: an interrupted build leaves nothing
// at --output and no temporary siblings. A second signal ends the process at
// once, for the case where something does not poll.
#pragma once

namespace slimbuild::util {

void install_interrupt_handlers();
// The signal number received, or 0.
int interrupt_signal() noexcept;
// Throws Error("interrupted by SIG...", exit code 128 + signal) if a signal came.
void throw_if_interrupted();

}  // namespace slimbuild::util
