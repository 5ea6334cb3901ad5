// What the guest node kinds (the qemu vm, the user-mode Linux guest) share: starting the
// guest process in a namespace of ours, stopping it (and only a guest svcbench started), and
// the channel to svcb-vm-agent inside it — requests as files in a shared folder (9p for the
// vm, hostfs for uml), every tool timed on the guest's clock, a heartbeat that tells a slow
// command from a guest that stopped answering.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "command_runner.h"

namespace svcbench {

struct GuestProcess {
  std::vector<std::string> argv;  // argv[0] found on PATH
  std::string package;            // named when argv[0] is missing
  std::string netns;              // the process runs in this namespace (its links live there)
  std::string log_file;           // its stdout and stderr
  std::string pid_file;           // for stop_guest(), also after a kill -9 of svcbench
};

// Starts the guest in a session of its own (SIGINT to svcbench does not reach it); throws
// SetupError naming the package when the program is missing.
pid_t start_guest(const GuestProcess& guest);
// Stops the guest recorded in pid_file (its whole process group: SIGTERM, then SIGKILL after
// 5 s) when its command line contains `marker`, so a recycled pid is never killed. Idempotent.
void stop_guest(const std::string& pid_file, const std::string& marker);
// Waits for the agent's ready file in `share`; false when the guest died, the time ran out or a
// signal came.
bool wait_for_agent(const std::string& share, pid_t pid, double seconds);

// Removes what a stopped guest's agent left in `share` (its ready mark, its heartbeat, the
// requests and answers of the protocol), so a guest started again is waited for afresh.
void clear_agent_files(const std::string& share);

// Runs argv in the guest through the agent serving `share`. Throws NodeStoppedAnswering "the
// GUEST guest stopped answering ..." when its heartbeat stands still for silence_seconds, and
// Interrupted when SIGINT/SIGTERM arrives while waiting.
CommandResult run_through_agent(const std::string& share, const std::vector<std::string>& argv,
                                const std::string& input, double silence_seconds,
                                const std::string& guest);

// A file's content, "" when it does not exist.
std::string read_if_present(const std::string& path);
// The last `bytes` of a log, on one line, for an error message.
std::string log_tail(const std::string& path, size_t bytes = 300);

}  // namespace svcbench
