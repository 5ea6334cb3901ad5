// --program external: something other than svcbench programs the node (a real kube-proxy, a
// stand-in for one). For each change svcbench runs the user's apply hook (`sh -c CMD` on this
// machine) with the cluster's objects after the change, then watches the node, through the
// read-back of the mode whose rules are expected, until the loaded rules reflect the change.
// What a sync costs is then the programmer's: hook start -> hook exit -> rules visible, and
// under a held load the traffic's convergence after that.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dataplane_mode.h"
#include "node.h"

namespace svcbench {

// What the user chose: --program external --apply-hook CMD [--apply-limit S].
struct ExternalProgram {
  std::string apply_hook;
  static constexpr double kDefaultApplyLimitSeconds = 120;
  double apply_limit_seconds = kDefaultApplyLimitSeconds;
};

struct ApplyHook {
  std::string command;          // run through sh -c, on the machine svcbench runs on
  double limit_seconds = 120;   // hook start -> rules visible, at most (--apply-limit)
  std::string work_dir;         // where the manifests the hook reads are written
  std::string node_exec;        // SVCBENCH_NODE_EXEC: a prefix that runs a command on the node
  IpFamily family = IpFamily::kIpv4;
};

// The changes a hook is told of (SVCBENCH_CHANGE): initial-load, add-service, remove-service,
// change-endpoints, and reset (every object svcbench created is gone).
std::string change_kind(const ServiceSet& before, const ServiceSet& after);

// The pause between two read-backs `elapsed` seconds after the hook started: 20 ms at first,
// then 5% of the time so far, at most 0.5 s. Each read-back is a whole-table listing on the node
// (150 ms for nftables' 1,000 Services), competing with the programmer it times: the watch
// reads often while a change may show any moment and backs off as a sync proves long, keeping
// "rules visible" within ~5% (plus one listing) of when the rules appeared.
std::chrono::milliseconds watch_pause(double elapsed_seconds);

// Whether `loaded` (a read-back) reflects the change from `before` to `after`: every ClusterIP
// frontend whose endpoints differ between the two (or that exists in only one) is as `after`
// has it — present with exactly its endpoints (an endpoint-less one may also be absent), or
// gone. Frontends the change does not touch are not looked at (the programmer may hold more).
bool reflects_change(const std::vector<ServiceDispatch>& loaded, const ServiceSet& before,
                     const ServiceSet& after);

// Where the hook's manifests go: one change's files at a time.
inline constexpr const char* kApplyHookDir = "/run/svcbench/apply-hook";

class ExternalProgrammer;
// `reader` wrapped in an ExternalProgrammer running `program`'s hook for `node` (its exec
// prefix) and `family`.
std::unique_ptr<DataplaneMode> make_external_programmer(std::unique_ptr<DataplaneMode> reader,
                                                        const Node& node,
                                                        const ExternalProgram& program,
                                                        IpFamily family);

class ExternalProgrammer : public DataplaneMode {
 public:
  // `reader`: the mode whose rules the programmer writes, used only to read them back.
  ExternalProgrammer(std::unique_ptr<DataplaneMode> reader, ApplyHook hook);
  // Removes the last change's manifests (nothing of svcbench's is left in the work folder).
  ~ExternalProgrammer() override;
  std::string name() const override { return reader_->name(); }
  // Tells the hook every object of svcbench's is gone (when it applied any) and waits until
  // the node no longer dispatches them.
  void reset() override;
  double initial_load(const ServiceSet& services) override;
  Apply prepare_full_resync(const ServiceSet& services) override;
  Apply prepare_partial_sync(const ServiceSet& before, const ServiceSet& after) override;
  bool makes_full_resyncs() const override { return false; }
  // "apply hook" (hook start to exit) and "rules visible" (hook exit to the read-back that
  // showed the change; invocations: read-backs made).
  const SyncSteps& last_sync_steps() const override { return steps_; }
  std::string loaded_ruleset() override { return reader_->loaded_ruleset(); }
  std::vector<ServiceDispatch> loaded_dispatch() override { return reader_->loaded_dispatch(); }

 private:
  // Writes the manifests for the change (untimed), then returns the timed part: the hook,
  // then the watch. Throws SetupError when the hook fails or the rules do not appear within
  // the limit (the hook's process group killed), Interrupted on SIGINT/SIGTERM.
  Apply prepare_change(const ServiceSet& before, const ServiceSet& after);
  std::unique_ptr<DataplaneMode> reader_;
  ApplyHook hook_;
  ServiceSet applied_;  // what the hook was last told the cluster holds
  SyncSteps steps_;
  size_t changes_ = 0;
};

}  // namespace svcbench
