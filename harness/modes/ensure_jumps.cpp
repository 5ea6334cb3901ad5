#include "ensure_jumps.h"

#include "command_runner.h"
#include "errors.h"

namespace svcbench {

void ensure_jumps(SyncRecorder& sync, Node& node, const std::string& iptables,
                  const std::vector<BaseChainJump>& jumps, const std::string& who) {
  // The xtables lock waited for up to 5 s, polled every 100 ms, as kube-proxy's runner does.
  const std::vector<std::string> wait = {"-w", "5", "-W", "100000"};
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {iptables};
    argv.insert(argv.end(), wait.begin(), wait.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return sync.run(node, "ensure-jumps", argv);
  };
  for (const auto& jump : jumps) {
    if (!jump.chain.empty()) {
      auto r = run({"-N", jump.chain, "-t", jump.table});
      if (!r.ok() && r.exit_code != 1)
        throw SetupError(who + ": creating chain " + jump.chain + " " + tool_failure(iptables, r));
    }
    if (jump.rule.empty()) continue;
    std::vector<std::string> check = {"-C", jump.source, "-t", jump.table};
    check.insert(check.end(), jump.rule.begin(), jump.rule.end());
    if (run(check).ok()) continue;
    check[0] = jump.append ? "-A" : "-I";
    auto r = run(check);
    if (!r.ok())
      throw SetupError(who + ": the jump from " + jump.source + " to " + jump.chain + " " +
                       tool_failure(iptables, r));
  }
}

}  // namespace svcbench
