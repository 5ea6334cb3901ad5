#include "external_programmer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "atomic_file.h"
#include "elapsed.h"
#include "endpoint_categories.h"
#include "errors.h"
#include "interruption.h"
#include "kubernetes_manifests.h"
#include "operation_limit.h"

namespace svcbench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A ClusterIP frontend: (address, port, protocol).
using Frontend = std::tuple<std::string, uint16_t, Protocol>;
using EndpointSet = std::set<std::string>;  // "ip:port"

// What kube-proxy dispatches a Service port to: the renderers' own choice (ready endpoints,
// else serving terminating ones).
EndpointSet programmed_endpoints(const ServicePort& port) {
  std::vector<const Endpoint*> all;
  for (const auto& e : port.endpoints) all.push_back(&e);
  EndpointSet out;
  for (const Endpoint* e : usable_endpoints(all)) out.insert(e->str());
  return out;
}

std::map<Frontend, EndpointSet> frontends_of(const ServiceSet& set) {
  std::map<Frontend, EndpointSet> out;
  for (const auto& s : set.services)
    for (const auto& p : s.ports)
      out[{s.cluster_ip.str(), p.port, p.protocol}] = programmed_endpoints(p);
  return out;
}

}  // namespace

std::string change_kind(const ServiceSet& before, const ServiceSet& after) {
  if (before.services.empty() && !after.services.empty()) return "initial-load";
  if (after.services.empty() && !before.services.empty()) return "reset";
  if (after.services.size() > before.services.size()) return "add-service";
  if (after.services.size() < before.services.size()) return "remove-service";
  return "change-endpoints";
}

std::chrono::milliseconds watch_pause(double elapsed_seconds) {
  const double ms = std::clamp(elapsed_seconds * 0.05 * 1000, 20.0, 500.0);
  return std::chrono::milliseconds(static_cast<long>(ms));
}

bool reflects_change(const std::vector<ServiceDispatch>& loaded, const ServiceSet& before,
                     const ServiceSet& after) {
  std::map<Frontend, EndpointSet> now;
  for (const auto& d : loaded) {
    EndpointSet& eps = now[{d.address.str(), d.port, d.protocol}];
    for (const auto& e : d.endpoints) eps.insert(e.str());
  }
  const auto old_frontends = frontends_of(before), new_frontends = frontends_of(after);
  std::set<Frontend> touched;
  for (const auto& [f, eps] : new_frontends) {
    auto it = old_frontends.find(f);
    if (it == old_frontends.end() || it->second != eps) touched.insert(f);
  }
  for (const auto& [f, eps] : old_frontends)
    if (!new_frontends.count(f)) touched.insert(f);
  for (const Frontend& f : touched) {
    auto want = new_frontends.find(f);
    auto have = now.find(f);
    if (want == new_frontends.end()) {  // removed: gone, or left without endpoints (REJECT)
      if (have != now.end() && !have->second.empty()) return false;
    } else if (want->second.empty()) {  // no endpoints: absent or rejecting
      if (have != now.end() && !have->second.empty()) return false;
    } else if (have == now.end() || have->second != want->second) {
      return false;
    }
  }
  return true;
}

std::unique_ptr<DataplaneMode> make_external_programmer(std::unique_ptr<DataplaneMode> reader,
                                                        const Node& node,
                                                        const ExternalProgram& program,
                                                        IpFamily family) {
  ApplyHook hook;
  hook.command = program.apply_hook;
  hook.limit_seconds = program.apply_limit_seconds;
  hook.work_dir = kApplyHookDir;
  hook.node_exec = node.exec_prefix();
  hook.family = family;
  return std::make_unique<ExternalProgrammer>(std::move(reader), std::move(hook));
}

ExternalProgrammer::ExternalProgrammer(std::unique_ptr<DataplaneMode> reader, ApplyHook hook)
    : reader_(std::move(reader)), hook_(std::move(hook)) {
  std::error_code ec;
  fs::create_directories(hook_.work_dir, ec);
  if (ec)
    throw SetupError("cannot create " + hook_.work_dir + " for the apply hook's manifests: " +
                     ec.message());
}

ExternalProgrammer::~ExternalProgrammer() {
  std::error_code ec;
  const std::string stem = hook_.work_dir + "/change-" + std::to_string(changes_);
  fs::remove(stem + ".json", ec);
  fs::remove(stem + "-objects.json", ec);
  fs::remove(hook_.work_dir, ec);  // only when empty: a folder the user shares is left
}

void ExternalProgrammer::reset() {
  if (applied_.services.empty()) return;
  prepare_change(applied_, ServiceSet{})();
}

double ExternalProgrammer::initial_load(const ServiceSet& services) {
  // As svcbench's own modes do, what an earlier load left is removed first, untimed: a second
  // initial load onto the same Services would otherwise be a change of nothing, visible at once.
  reset();
  return prepare_change(applied_, services)();
}

DataplaneMode::Apply ExternalProgrammer::prepare_full_resync(const ServiceSet&) {
  throw UsageError(
      "--program external cannot make a full resync: the programmer decides when it runs one "
      "(drop full-resync from --during or --operations)");
}

DataplaneMode::Apply ExternalProgrammer::prepare_partial_sync(const ServiceSet& before,
                                                             const ServiceSet& after) {
  return prepare_change(before, after);
}

DataplaneMode::Apply ExternalProgrammer::prepare_change(const ServiceSet& before,
                                                       const ServiceSet& after) {
  const std::string change = change_kind(before, after);
  if (changes_ > 0) {  // the previous change's files: the hook has had them
    std::error_code ec;
    const std::string old_stem = hook_.work_dir + "/change-" + std::to_string(changes_);
    fs::remove(old_stem + ".json", ec);
    fs::remove(old_stem + "-objects.json", ec);
  }
  const std::string stem = hook_.work_dir + "/change-" + std::to_string(++changes_);
  const std::string manifests = stem + ".json", changed = stem + "-objects.json";
  write_file_atomically(manifests, kubernetes_manifests(after, hook_.family));
  write_file_atomically(changed, kubernetes_change_manifests(before, after, hook_.family));
  std::vector<std::string> env = {"SVCBENCH_CHANGE=" + change,
                                  "SVCBENCH_MANIFESTS=" + manifests,
                                  "SVCBENCH_CHANGE_MANIFESTS=" + changed,
                                  "SVCBENCH_MODE=" + reader_->name(),
                                  "SVCBENCH_NODE_EXEC=" + hook_.node_exec,
                                  "SVCBENCH_CHANGE_NUMBER=" + std::to_string(changes_)};
  return [this, before, after, change, env = std::move(env)]() -> double {
    steps_.clear();
    const auto start = Clock::now();
    // The hook, stopped with its process group at the limit (or at --op-limit when sooner).
    const auto outer = operation_seconds_left();
    const bool own_limit = !outer || *outer > hook_.limit_seconds;
    CommandResult r;
    try {
      OperationLimit limit(own_limit ? hook_.limit_seconds : 0);
      r = run_command({{"sh", "-c", hook_.command}, "", "", true, env});
    } catch (const OperationLimitReached&) {
      if (!own_limit) throw;  // --op-limit's: a result of the sweep's
      throw SetupError("the apply hook did not end within --apply-limit " +
                       std::to_string(static_cast<int>(hook_.limit_seconds)) + " s for " + change +
                       " (stopped): make it return once the change is submitted");
    }
    if (!r.ok()) {
      // Its last line: where kubectl and most tools say what went wrong (a traceback ends there).
      std::string said = r.err.empty() ? r.out : r.err;
      while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
      const std::string last = said.substr(said.find_last_of('\n') + 1);
      throw SetupError("the apply hook failed for " + change + " (exit " +
                       std::to_string(r.exit_code) + (last.empty() ? "" : ": " + last) +
                       "); fix --apply-hook (it gets SVCBENCH_CHANGE, SVCBENCH_MANIFESTS, ...)");
    }
    const double hook_seconds = seconds_since(start);
    steps_.push_back({"apply hook", hook_seconds, r.user_seconds, r.system_seconds, 1});
    // The watch: the mode's read-back until it shows the change.
    int reads = 0;
    std::string unreadable;  // why the last read-back failed (the programmer's tables not there yet)
    for (;;) {
      if (interrupted()) throw Interrupted();
      ++reads;
      bool visible = false;
      try {
        visible = reflects_change(reader_->loaded_dispatch(), before, after);
        unreadable.clear();
      } catch (const NodeStoppedAnswering&) {
        throw;
      } catch (const SetupError& e) {
        unreadable = e.what();
      }
      const double elapsed = seconds_since(start);
      if (visible) {
        steps_.push_back({"rules visible", elapsed - hook_seconds, -1, -1, reads});
        applied_ = after;
        return elapsed;
      }
      if (elapsed > hook_.limit_seconds) {
        applied_ = after;  // what the cluster was told: a reset still removes it
        throw SetupError("the rules for " + change + " did not appear on the node within " +
                         std::to_string(static_cast<int>(hook_.limit_seconds)) +
                         " s of the apply hook's start (" + std::to_string(reads) +
                         " read-backs of " + reader_->name() +
                         (unreadable.empty() ? "" : "; the last: " + unreadable) +
                         "): is the programmer running and in that mode? (--apply-limit S)");
      }
      if (const auto left = operation_seconds_left(); left && *left <= 0)
        throw OperationLimitReached("(watching for the rules)", operation_limit_seconds(), elapsed);
      std::this_thread::sleep_for(watch_pause(elapsed));
    }
  };
}

}  // namespace svcbench
