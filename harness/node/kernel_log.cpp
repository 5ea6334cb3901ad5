#include "kernel_log.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace svcbench {
namespace {

// "[ 1234.567890] text": the stamp in seconds since boot, -1 for a line without one.
double stamp_of(const std::string& line) {
  if (line.size() < 3 || line[0] != '[') return -1;
  const auto close = line.find(']');
  if (close == std::string::npos) return -1;
  try {
    return std::stod(line.substr(1, close - 1));
  } catch (const std::exception&) {
    return -1;
  }
}

double last_stamp(const std::string& dmesg) {
  double last = 0;
  std::istringstream in(dmesg);
  for (std::string line; std::getline(in, line);) last = std::max(last, stamp_of(line));
  return last;
}

}  // namespace

std::vector<std::string> kernel_warnings(const std::string& dmesg, double after_seconds,
                                         size_t limit) {
  // What the kernel prints for RCU stalls, lockups, hung tasks, splats and OOM kills.
  static constexpr const char* kMarks[] = {
      "rcu_sched self-detected stall", "rcu_preempt self-detected stall", "rcu: info:",
      "detected stalls on cpus", "soft lockup", "hard lockup", "hung_task",
      "blocked for more than", "bug:", "warning:", "out of memory", "oom-kill",
      "killed process"};
  std::vector<std::string> out;
  std::istringstream in(dmesg);
  for (std::string line; std::getline(in, line) && out.size() < limit;) {
    if (stamp_of(line) <= after_seconds) continue;
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::any_of(std::begin(kMarks), std::end(kMarks),
                    [&](const char* mark) { return lower.find(mark) != std::string::npos; }))
      out.push_back(line);
  }
  return out;
}

KernelLogWatch::KernelLogWatch(Node& node) : node_(node) {
  try {
    const CommandResult r = node_.run({"dmesg"});
    readable_ = r.ok();
    if (readable_) mark_ = last_stamp(r.out);
  } catch (const std::exception&) {
    readable_ = false;  // a node without dmesg: nothing to watch
  }
}

std::vector<std::string> KernelLogWatch::warnings() {
  if (!readable_) return {};
  try {
    const CommandResult r = node_.run({"dmesg"});
    return r.ok() ? kernel_warnings(r.out, mark_) : std::vector<std::string>{};
  } catch (const std::exception&) {
    return {};
  }
}

std::vector<std::string> KernelLogWatch::warnings_in(const std::string& console) const {
  return kernel_warnings(console, mark_);
}

}  // namespace svcbench
