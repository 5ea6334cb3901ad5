#include "update_timing.h"

#include "interruption.h"

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

UpdateTimings time_updates(DataplaneMode& mode, const ServiceSet& base, const SyntheticSpec& spec,
                           const AddressPlan& plan, int repeats) {
  UpdateTimings t;
  auto& s = t.seconds;
  while (another_run(s["initial-load"], repeats))
    s["initial-load"].push_back(mode.initial_load(base));
  while (another_run(s["full-resync"], repeats)) s["full-resync"].push_back(mode.full_resync(base));

  ServiceSet grown = base;
  grown.services.push_back(make_synthetic_service(base.services.size() + 1000000, spec, plan));
  for (int i = 0; i < repeats && !interrupted(); ++i) {
    s["add-service"].push_back(mode.partial_sync(base, grown));
    s["remove-service"].push_back(mode.partial_sync(grown, base));
  }
  if (!base.services.empty()) {
    // One Service's endpoints move to other pods (a rolling update), and back.
    ServiceSet moved = base;
    auto& eps = moved.services[base.services.size() / 2].ports.front().endpoints;
    for (auto& e : eps) e.address = plan.pods.at(plan.pods.size() - 2 - (e.address.value % 64));
    for (int i = 0; i < repeats && !interrupted(); ++i) {
      s["change-endpoints"].push_back(mode.partial_sync(base, moved));
      mode.partial_sync(moved, base);
    }
  }
  return t;
}

}  // namespace svcbench
