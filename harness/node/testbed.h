// What every node kind on this host shares: the generator namespace with its back-to-back
// baseline pair, the record of what `testbed up` created (and the ownership check against
// it), the lock that keeps two svcbench processes off one testbed, and the removal of
// everything named svcb-*, also what a killed run left behind.
//
//   svcb-gen: svcb-b0 (DPDK TX) <== baseline veth ==> svcb-b1 (DPDK RX)   back-to-back, no node
//             + the kind's own links towards its node (veths, taps)
#pragma once

#include <string>
#include <vector>

#include "address_plan.h"

namespace svcbench {

struct TestbedNames {
  static constexpr const char* kGeneratorNs = "svcb-gen";
  static constexpr const char* kBaselineTx = "svcb-b0";
  static constexpr const char* kBaselineRx = "svcb-b1";
};

// True when running as root (namespaces and rule tools need it).
bool running_as_root();

// Creates svcb-gen with the baseline pair up, IPv6 off, lo up. Throws SetupError naming the step.
void create_generator_namespace();

// A namespace for the node joined to svcb-gen by two veth pairs (tx_link in svcb-gen <->
// ingress in `netns`, rx_link <-> egress), every link and lo up; IPv6 off, or on (forwarding,
// and silent: no link-local address, DAD, router solicitations). Throws SetupError.
void create_node_namespace(const std::string& netns, const std::string& tx_link,
                           const std::string& ingress, const std::string& rx_link,
                           const std::string& egress, bool ipv6 = false);

// The `ip` arguments (without "ip") that put a node's two links into one family's plan:
// `addresses` (ingress and egress, before the links come up on a guest), then `routes`: the
// pod range via the endpoint next hop and static neighbours for it and for the clients, so
// the node never has to ask for either. tx_mac/rx_mac: the generator's ends of the links.
struct NodeLinkCommands {
  std::vector<std::vector<std::string>> addresses, routes;
};
NodeLinkCommands node_link_commands(const AddressPlan& plan, const std::string& ingress,
                                    const std::string& egress, const std::string& tx_mac,
                                    const std::string& rx_mac);

// Records what `up` created: the node kind and the identity of each namespace (for
// require_owned_namespace and for `testbed status` / current_node()).
void write_testbed_record(const std::string& kind, const std::vector<std::string>& namespaces);
// Removes the record alone (a node that created no namespace of ours).
void remove_testbed_record();
// The kind `up` recorded, "" when nothing is up.
std::string recorded_node_kind();
// Throws SetupError unless `netns` is a namespace `up` created and still that same one:
// never the host's own namespace mounted under the name, nor a namespace someone else made.
void require_owned_namespace(const std::string& netns);

// Every svcb-* namespace, every svcb-* link left in the root namespace, DPDK runtime
// directories of svcbench processes that are gone, and the record. Idempotent.
void remove_testbed_leftovers();
std::vector<std::string> svcb_namespaces();
std::vector<std::string> svcb_root_links();

// MAC address of an interface inside a namespace ("aa:bb:...").
std::string mac_of(const std::string& netns, const std::string& link);
// `ip ARGS` in the root namespace (it creates links directly inside their namespaces);
// throws SetupError "<what> failed (...)".
void ip(const std::vector<std::string>& args, const std::string& what);
void sysctl_in(const std::string& netns, const std::string& key, const std::string& value);

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
