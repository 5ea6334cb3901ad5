// Integration against the vm node (needs root, qemu and the image from scripts/build-vm-image):
// every mode's partial syncs add and remove one Service in the guest's kernel, and packets to
// the added Service cross the guest DNAT-ed to its endpoints.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#include "dataplane_mode.h"
#include "dpdk_ports.h"
#include "netns_testbed.h"
#include "replay_engine.h"
#include "synthetic_services.h"
#include "vm_node.h"

namespace svcbench {
namespace {

class VmNodeModes : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    lock_ = std::make_unique<TestbedLock>();
    NetnsTestbed testbed;
    testbed.up("vm");
    VmNode::start(std::getenv("VM_IMAGE_DIR"), AddressPlan{});
    node_ = std::make_shared<VmShell>(VmNode::kShareDir);
    env_ = std::make_unique<DpdkEnvironment>(DpdkEnvironment::af_packet_args(generator_links("vm")), TestbedNames::kGeneratorNs);
    generator_ = std::make_unique<TrafficGenerator>(*env_, env_->port_by_name("net_af_packet0"),
                                                    env_->port_by_name("net_af_packet1"),
                                                    *parse_mac(VmNode::kGuestIngressMac), AddressPlan{});
  }
  static void TearDownTestSuite() {
    generator_.reset();
    env_.reset();
    node_.reset();
    NetnsTestbed::down();
    lock_.reset();
  }
  static std::unique_ptr<TestbedLock> lock_;
  static std::shared_ptr<NodeShell> node_;
  static std::unique_ptr<DpdkEnvironment> env_;
  static std::unique_ptr<TrafficGenerator> generator_;
};

std::unique_ptr<TestbedLock> VmNodeModes::lock_;
std::shared_ptr<NodeShell> VmNodeModes::node_;
std::unique_ptr<DpdkEnvironment> VmNodeModes::env_;
std::unique_ptr<TrafficGenerator> VmNodeModes::generator_;

TEST_P(VmNodeModes, AddsAndRemovesOneService) {
  IptablesOptions options;
  options.cluster_cidr = AddressPlan{}.pods;
  auto mode = make_dataplane_mode(GetParam(), node_, options);
  SyntheticSpec spec;
  spec.services = 30;
  spec.endpoints_min = spec.endpoints_max = 3;
  const auto base = make_synthetic_services(spec, AddressPlan{});
  auto grown = base;
  grown.services.push_back(make_synthetic_service(7000, spec, AddressPlan{}));
  const auto& added = grown.services.back();
  mode->initial_load(base);
  ASSERT_EQ(mode->loaded_dispatch().size(), 30u);
  mode->partial_sync(base, grown);
  auto dispatch = mode->loaded_dispatch();
  ASSERT_EQ(dispatch.size(), 31u);
  const ServiceDispatch* target = nullptr;
  for (const auto& d : dispatch)
    if (d.address == added.cluster_ip && d.port == added.ports[0].port) target = &d;
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(target->endpoints.size(), 3u);
  ReplaySettings s;
  s.packets = 300;
  s.rate_pps = 1000;
  auto r = generator_->replay(plan_service_traffic({*target}, AddressPlan{}), s, true);
  EXPECT_EQ(r.rx, r.tx);
  EXPECT_EQ(r.misrouted, 0u);
  for (auto hits : r.endpoint_hits.at(0)) EXPECT_GT(hits, 50u);  // all three endpoints used
  mode->partial_sync(grown, base);
  EXPECT_EQ(mode->loaded_dispatch().size(), 30u);
  mode->reset();
}

INSTANTIATE_TEST_SUITE_P(AllModes, VmNodeModes,
                         ::testing::Values("iptables-legacy", "iptables-nft", "nftables", "ipvs"));

}  // namespace
}  // namespace svcbench

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!svcbench::running_as_root() || !std::getenv("VM_IMAGE_DIR")) {
    std::fprintf(stderr, "vm_dataplane_test: needs root and VM_IMAGE_DIR; skipped\n");
    return 77;
  }
  return RUN_ALL_TESTS();
}
