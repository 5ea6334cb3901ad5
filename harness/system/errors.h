// Errors that reach the user as one line on stderr and exit code 2 (main() decides it).
// UsageError: the user asked for something that cannot work. SetupError: the machine or the
// node is missing something, or a tool on it failed. (A sweep whose points partly failed
// records them and exits 1; a signal exits 128 + its number.)
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace svcbench {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A guest node (uml, vm) whose agent's heartbeat stood still for --vm-silence seconds: its
// kernel hangs (a stall in one long transaction) or died. The guest must be restarted
// (Node::restart_guest) before anything else runs on it.
struct NodeStoppedAnswering : SetupError {
  NodeStoppedAnswering(const std::string& message, std::string tool, double silence_seconds)
      : SetupError(message), tool(std::move(tool)), silence_seconds(silence_seconds) {}
  std::string tool;            // argv[0] of what was running
  double silence_seconds = 0;  // how long the heartbeat stood still
};

}  // namespace svcbench
