#include "sync_steps.h"

namespace svcbench {

double sync_seconds(const SyncSteps& steps) {
  double total = 0;
  for (const auto& s : steps) total += s.seconds;
  return total;
}

CommandResult SyncRecorder::run(Node& node, const std::string& step,
                                const std::vector<std::string>& argv, const std::string& input) {
  CommandResult r = node.run(argv, input);
  record(step, r);
  return r;
}

void SyncRecorder::record(const std::string& step, const CommandResult& r, int invocations) {
  if (steps_.empty() || steps_.back().name != step) steps_.push_back({step, 0, 0, 0, 0});
  SyncStep& s = steps_.back();
  s.seconds += r.seconds;
  // One invocation the node could not measure makes the step's CPU time unknown.
  const bool known = r.user_seconds >= 0 && r.system_seconds >= 0 && s.user_seconds >= 0;
  s.user_seconds = known ? s.user_seconds + r.user_seconds : -1;
  s.system_seconds = known ? s.system_seconds + r.system_seconds : -1;
  s.invocations += invocations;
}

}  // namespace svcbench
