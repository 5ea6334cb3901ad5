// The one way svcbench runs external tools: an argv vector (never a shell string), optionally
// inside a network namespace, with stdin fed from memory, and timed around the tool.
#pragma once

#include <string>
#include <vector>

namespace svcbench {

struct CommandResult {
  int exit_code = -1;    // the tool's exit code; 128+N when killed by signal N
  double seconds = 0.0;  // wall time from spawn to exit (monotonic clock)
  // The tool's own CPU time in user space and in the kernel on its behalf (its rusage, from
  // wait4); -1 where the node cannot say (the ssh node, an older guest agent).
  double user_seconds = -1, system_seconds = -1;
  double max_rss_mib = -1;  // the tool's peak resident memory (rusage); -1 where unknown
  std::string out;       // stdout
  std::string err;       // stderr
  bool ok() const { return exit_code == 0; }
};

struct Command {
  std::vector<std::string> argv;
  std::string netns;  // run inside /run/netns/<netns>; empty: the caller's namespace
  std::string input;  // written to the tool's stdin
  bool capture_output = true;
  std::vector<std::string> env;  // "KEY=VALUE" added to (or replacing in) svcbench's environment
};

// Throws SetupError when the tool cannot be started (not installed) or the namespace is
// missing; a tool that runs and fails is reported through exit_code.
CommandResult run_command(const Command& command);

// How a failed tool reads in an error: "(TOOL exit N): first line it printed" (stderr, else
// stdout). The one formatting every "... failed" and "... rejected" message uses.
std::string tool_failure(const std::string& tool, const CommandResult& result);

// Like run_command, but a non-zero exit throws SetupError with the tool's first stderr line.
CommandResult run_checked(const Command& command, const std::string& what);

// Absolute path of `tool` on PATH (plus /usr/sbin, /sbin), or empty when absent.
std::string find_tool(const std::string& tool);

// Throws SetupError "<tool> not found: install <package> (scripts/install-deps)".
void require_tool(const std::string& tool, const std::string& package);

}  // namespace svcbench
