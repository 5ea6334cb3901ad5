#include "update_timing.h"

#include <chrono>
#include <functional>

#include "elapsed.h"
#include "errors.h"
#include "interruption.h"
#include "operation_limit.h"

namespace svcbench {

const std::vector<std::string>& update_operations() {
  static const std::vector<std::string> ops = {"initial-load", "full-resync", "add-service",
                                               "remove-service", "change-endpoints"};
  return ops;
}

namespace {
// Repeating an operation that takes most of a minute buys little spread and costs the sweep
// its time budget: stop repeating once an operation has used this much in total.
constexpr double kRepeatBudgetSeconds = 20.0;

bool another_run(const std::vector<double>& runs, int repeats) {
  double total = 0;
  for (double r : runs) total += r;
  return static_cast<int>(runs.size()) < repeats &&
         (runs.empty() || total < kRepeatBudgetSeconds) && !interrupted();
}

}  // namespace

Service extra_service(const ServiceSet& base, const SyntheticSpec& spec, const AddressPlan& plan,
                      bool prefer_udp) {
  const size_t first = base.services.size() + 1000000;
  for (size_t i = first; prefer_udp && i < first + 64; ++i) {
    Service s = make_synthetic_service(i, spec, plan);
    if (s.ports.front().protocol == Protocol::kUdp) return s;
  }
  return make_synthetic_service(first, spec, plan);
}

ServiceSet with_moved_endpoints(const ServiceSet& base, size_t index, const AddressPlan& plan) {
  ServiceSet moved = base;
  for (auto& e : moved.services.at(index).ports.front().endpoints) {
    const uint32_t low = e.address.is_v6() ? e.address.bytes[15] : e.address.value;
    e.address = plan.pods.at(plan.pods.size() - 2 - (low % 64));
  }
  return moved;
}

UpdateTimings time_updates(DataplaneMode& mode, const ServiceSet& base, const SyntheticSpec& spec,
                           const AddressPlan& plan, int repeats, double op_limit_seconds) {
  UpdateTimings t;
  auto& s = t.seconds;
  // Each timed run's seconds and the steps of the sync it was; false once --op-limit stopped
  // one (`op` empty: an untimed sync, limited all the same).
  auto timed = [&](const std::string& op, const std::function<double()>& sync) {
    const auto start = std::chrono::steady_clock::now();
    try {
      OperationLimit limit(op_limit_seconds);
      const double seconds = sync();
      if (op.empty()) return true;
      s[op].push_back(seconds);
      t.steps[op].push_back(mode.last_sync_steps());
      return true;
    } catch (const OperationLimitReached& e) {
      t.limit_reached = LimitReached{
          .outcome = "stopped",
          .operation = op.empty() ? "change-endpoints" : op,
          .limit_seconds = e.limit_seconds,
          .elapsed_seconds = seconds_since(start),
          .stopped_tool = e.tool,
          .steps_done = mode.last_sync_steps()};
      return false;
    } catch (const NodeStoppedAnswering& e) {
      // A guest whose kernel hangs in the sync (or died): as much a result as a stop at the
      // limit. The caller restarts the guest.
      t.limit_reached = LimitReached{
          .outcome = "unresponsive",
          .operation = op.empty() ? "change-endpoints" : op,
          .limit_seconds = op_limit_seconds,
          .elapsed_seconds = seconds_since(start),
          .stopped_tool = e.tool,
          .steps_done = mode.last_sync_steps(),
          .detail = e.what()};
      return false;
    }
  };
  while (another_run(s["initial-load"], repeats))
    if (!timed("initial-load", [&] { return mode.initial_load(base); })) return t;

  // The partial syncs before the full resync: at a size where the full resync runs past
  // --op-limit (or stalls the node), the syncs kube-proxy makes most are still measured.
  ServiceSet grown = base;
  grown.services.push_back(extra_service(base, spec, plan));
  // A partial sync is a full one where the flavour has none (kube-proxy 1.12): the same budget.
  while (another_run(s["add-service"], repeats) && another_run(s["remove-service"], repeats)) {
    if (!timed("add-service", [&] { return mode.partial_sync(base, grown); })) return t;
    if (!timed("remove-service", [&] { return mode.partial_sync(grown, base); })) return t;
  }
  if (!base.services.empty()) {
    // One Service's endpoints move to other pods (a rolling update), and back.
    const ServiceSet moved = with_moved_endpoints(base, base.services.size() / 2, plan);
    while (another_run(s["change-endpoints"], repeats)) {
      if (!timed("change-endpoints", [&] { return mode.partial_sync(base, moved); })) return t;
      if (!timed("", [&] { return mode.partial_sync(moved, base); })) return t;
    }
  }
  while (mode.makes_full_resyncs() && another_run(s["full-resync"], repeats))
    if (!timed("full-resync", [&] { return mode.full_resync(base); })) return t;
  return t;
}

}  // namespace svcbench
