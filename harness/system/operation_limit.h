// --op-limit: one rule update (a mode's sync: initial load, full resync, partial sync) must end
// within a time limit. While an OperationLimit is alive, every tool svcbench runs on a node is
// stopped once the limit passes (locally: SIGKILL to its process group; in a guest: the agent
// kills it), and the runner throws OperationLimitReached. A tool inside a system call (a kernel
// committing an nf_tables transaction) dies only when the call returns: the stop takes as long
// as the kernel does.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace svcbench {

struct OperationLimitReached : std::runtime_error {
  OperationLimitReached(const std::string& tool, double limit_seconds, double tool_seconds);
  std::string tool;          // the tool that was stopped
  double limit_seconds = 0;  // the operation's limit
  double tool_seconds = 0;   // how long that tool had run when it was stopped
};

class OperationLimit {
 public:
  // seconds <= 0: no limit (the default, and what an OperationLimit of 0 leaves in place).
  explicit OperationLimit(double seconds);
  ~OperationLimit();
  OperationLimit(const OperationLimit&) = delete;
  OperationLimit& operator=(const OperationLimit&) = delete;

 private:
  std::optional<std::chrono::steady_clock::time_point> previous_;
  double previous_seconds_ = 0;
};

// Seconds left of the operation under way; nullopt when no limit is set (can be <= 0).
std::optional<double> operation_seconds_left();
// The limit of the operation under way (0: none).
double operation_limit_seconds();

}  // namespace svcbench
