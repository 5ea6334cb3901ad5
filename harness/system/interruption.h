// SIGINT/SIGTERM set a flag that sweeps and burst loops poll; cleanup then runs normally.
#pragma once

#include <stdexcept>

namespace svcbench {

void install_interrupt_handlers();
bool interrupted();
int interrupt_signal();  // the signal received, 0 if none

// Thrown by a wait that cannot finish once a signal came (a guest command, a boot); the
// guards up the stack tear the node down and main() exits 128 + signal.
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

}  // namespace svcbench
