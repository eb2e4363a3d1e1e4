// Signal flag for cooperative cancellation; see the header for why.
#include <slimbuild/util/interrupt.hpp>

#include <signal.h>

#include <cstring>
#include <string>

#include <slimbuild/util/error.hpp>

namespace slimbuild::util {

namespace {

volatile sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  if (g_signal != 0) {
    // Second signal: stop now, with the conventional status.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  g_signal = sig;
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR and loops re-check the flag
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

int interrupt_signal() noexcept { return g_signal; }

void throw_if_interrupted() {
  int sig = g_signal;
  if (sig == 0) return;
  const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
  throw Error(std::string("interrupted by ") + name + "; nothing was written", "", 128 + sig);
}

}  // namespace slimbuild::util
