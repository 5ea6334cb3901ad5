// The seam between svcbench and a kube-proxy mode: how rules get onto the node and how to
// read back what is loaded. One implementation per mode (iptables on either backend,
// nftables, ipvs), registered in mode_registry.h. Every timed call returns the seconds the
// real tool took on the node.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "node.h"
#include "service_dispatch.h"
#include "service_model.h"
#include "sync_steps.h"

namespace svcbench {

class DataplaneMode {
 public:
  virtual ~DataplaneMode() = default;
  virtual std::string name() const = 0;

  // Removes everything this mode programs on the node. Untimed.
  virtual void reset() = 0;
  // kube-proxy's first sync on an empty node (base-chain jumps untimed, then the restore).
  virtual double initial_load(const ServiceSet& services) = 0;
  // A sync in two steps, as kube-proxy makes one: work out what to write (rendering, on this
  // host, untimed) and apply it (the tools on the node, timed: the returned call's seconds).
  // Updates under load start their clock at the second step.
  using Apply = std::function<double()>;
  // A full sync over an already loaded node (kube-proxy's needFullSync).
  virtual Apply prepare_full_resync(const ServiceSet& services) = 0;
  // Whether svcbench can make the mode run a full resync at will: not when an external
  // programmer (a real kube-proxy) decides when it resyncs.
  virtual bool makes_full_resyncs() const { return true; }
  // A partial sync from `before` (what is loaded) to `after`.
  virtual Apply prepare_partial_sync(const ServiceSet& before, const ServiceSet& after) = 0;
  double full_resync(const ServiceSet& services) { return prepare_full_resync(services)(); }
  double partial_sync(const ServiceSet& before, const ServiceSet& after) {
    return prepare_partial_sync(before, after)();
  }

  // Every step of the sync the mode last ran (initial_load or an Apply), in order: each tool
  // kube-proxy's proxier runs for it, timed on the node with its CPU time. The timed calls'
  // seconds are the writing tool's alone; the steps add what kube-proxy runs around it.
  virtual const SyncSteps& last_sync_steps() const = 0;

  // What the node has loaded, in the tool's own dump format.
  virtual std::string loaded_ruleset() = 0;
  // The Service dispatch table read back from the loaded ruleset, in match order.
  virtual std::vector<ServiceDispatch> loaded_dispatch() = 0;
};

}  // namespace svcbench
