// SIGINT/SIGTERM set a flag that sweeps and burst loops poll; cleanup then runs normally.
#pragma once

namespace svcbench {

void install_interrupt_handlers();
bool interrupted();
int interrupt_signal();  // the signal received, 0 if none

}  // namespace svcbench
