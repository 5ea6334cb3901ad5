// The embedded default node: a network namespace on this host's kernel, joined to a
// generator namespace by veth pairs. Everything is named svcb-* so `down` finds leftovers.
//
//   svcb-gen                          svcb-node
//   svcb-g0 (DPDK TX)  <== link A ==>  svcb-n0 198.18.0.1/29   (Service traffic in)
//   svcb-g1 (DPDK RX)  <== link B ==>  svcb-n1 198.18.0.9/29   (DNAT-ed traffic out, to
//                                      198.18.128.0/17 via 198.18.0.10 = svcb-g1's MAC)
//   svcb-b0 (DPDK TX)  <== baseline ==> svcb-b1 (DPDK RX)   back-to-back, no node
#pragma once

#include <string>
#include <vector>

#include "address_plan.h"

namespace svcbench {

struct TestbedNames {
  static constexpr const char* kGeneratorNs = "svcb-gen";
  static constexpr const char* kNodeNs = "svcb-node";
  static constexpr const char* kTxLink = "svcb-g0";
  static constexpr const char* kNodeIngress = "svcb-n0";
  static constexpr const char* kNodeEgress = "svcb-n1";
  static constexpr const char* kRxLink = "svcb-g1";
  static constexpr const char* kBaselineTx = "svcb-b0";
  static constexpr const char* kBaselineRx = "svcb-b1";
};

struct TestbedStatus {
  bool up = false;
  std::string node_kind;                // "netns" or "vm" (what `up` created), "" when down
  std::vector<std::string> namespaces;  // svcb-* namespaces present
  std::vector<std::string> root_links;  // svcb-* links left in the root namespace
  std::string node_ingress_mac;         // svcb-n0's MAC when up
};

class NetnsTestbed {
 public:
  explicit NetnsTestbed(AddressPlan plan = {}) : plan_(plan) {}

  // Creates namespaces and links and configures the node; removes leftovers first.
  // node_kind "vm": only the generator namespace, the baseline link and two taps for the
  // guest (VmNode::start boots it). Throws SetupError naming the step that failed (after
  // undoing what it created).
  void up(const std::string& node_kind = "netns");
  // Removes every svcb-* namespace and root-namespace link, and DPDK runtime files of
  // svcbench processes that are gone. Idempotent.
  static void down();
  static TestbedStatus status();
  // Throws SetupError unless `netns` is a namespace `up` created and still that same one:
  // never the host's own namespace mounted under the name, nor a namespace someone else made.
  static void require_owned(const std::string& netns);

  // MAC address of an interface inside a namespace ("aa:bb:...").
  static std::string mac_of(const std::string& netns, const std::string& link);
  const AddressPlan& plan() const { return plan_; }

 private:
  AddressPlan plan_;
};

// The generator's links in svcb-gen, in DPDK port order: towards the node, back from the
// node (veths for the netns node, taps for the vm node), then the baseline pair.
std::vector<std::string> generator_links(const std::string& node_kind);

// True when running as root (namespaces and iptables need it).
bool running_as_root();

// Held by whoever drives the testbed (a sweep, a run, testbed up/down), so that a second
// svcbench cannot tear down or reprogram the node under a running one. Released on exit,
// also after kill -9 (flock).
class TestbedLock {
 public:
  TestbedLock();  // throws SetupError naming the holder when another process has it
  ~TestbedLock();
  TestbedLock(const TestbedLock&) = delete;
  TestbedLock& operator=(const TestbedLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace svcbench
