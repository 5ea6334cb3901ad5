// Integration against the vm node (needs root, qemu and the image from scripts/build-vm-image):
// every mode's partial syncs add and remove one Service in the guest's kernel, and packets to
// the added Service cross the guest DNAT-ed to its endpoints.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#include "generator_setup.h"
#include "mode_registry.h"
#include "synthetic_services.h"
#include "testbed.h"

namespace svcbench {
namespace {

class VmNodeModes : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    lock_ = std::make_unique<TestbedLock>();
    NodeOptions options;
    options.vm_image_dir = std::getenv("VM_IMAGE_DIR");
    node_ = make_node("vm", options);
    node_->up();
    generators_ = std::make_unique<GeneratorSetup>(choose_generator_ports(node_.get(), {}), AddressPlan{});
    generator_ = &generators_->through_node();
  }
  static void TearDownTestSuite() {
    generators_.reset();
    node_->down();
    node_.reset();
    lock_.reset();
  }
  static std::unique_ptr<TestbedLock> lock_;
  static std::unique_ptr<Node> node_;
  static std::unique_ptr<GeneratorSetup> generators_;
  static PacketReplayer* generator_;
};

std::unique_ptr<TestbedLock> VmNodeModes::lock_;
std::unique_ptr<Node> VmNodeModes::node_;
std::unique_ptr<GeneratorSetup> VmNodeModes::generators_;
PacketReplayer* VmNodeModes::generator_ = nullptr;

TEST_P(VmNodeModes, AddsAndRemovesOneService) {
  IptablesOptions options;
  options.cluster_cidr = AddressPlan{}.pods;
  auto mode = make_dataplane_mode(GetParam(), *node_, options);
  SyntheticSpec spec;
  spec.services = 30;
  spec.endpoints = EndpointProfile::uniform(3);
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
