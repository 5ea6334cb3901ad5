// svcbench testbed up|down|status: the netns node.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command_line.h"
#include "errors.h"
#include "netns_testbed.h"
#include "vm_node.h"

namespace svcbench {

int testbed_command(const std::vector<std::string>& args) {
  const std::vector<OptionSpec> specs = {{"node", "KIND", "netns (default) or vm (qemu guest with Debian's kernel)"},
                                         {"vm-image", "DIR", "with --node vm: kernel + initramfs (default: beside the binary, build/vm)"}};
  CommandLine cl("svcbench testbed", specs, args);
  if (cl.help() || cl.positional().size() != 1) {
    std::fputs(CommandLine::usage("svcbench testbed up|down|status [--node netns|vm]", specs).c_str(),
               cl.help() ? stdout : stderr);
    return cl.help() ? 0 : 2;
  }
  const std::string kind = cl.get("node", "netns");
  if (kind != "netns" && kind != "vm") throw UsageError("unknown node kind '" + kind + "'; use netns or vm");
  const std::string action = cl.positional()[0];
  if (action == "up") {
    TestbedLock lock;
    NetnsTestbed testbed;
    testbed.up(kind);
    if (kind == "vm") {
      try {
        VmNode::start(cl.get("vm-image", default_vm_image_dir()), testbed.plan());
      } catch (...) {
        NetnsTestbed::down();
        throw;
      }
      std::fprintf(stderr, "svcbench: vm node up (%s)\n", VmNode::accelerator().c_str());
    } else {
      std::fputs("svcbench: netns node up (svcb-gen, svcb-node)\n", stderr);
    }
  } else if (action == "down") {
    if (!running_as_root()) throw SetupError("testbed down needs root: rerun with sudo");
    TestbedLock lock;
    NetnsTestbed::down();
  } else if (action == "status") {
    auto s = NetnsTestbed::status();
    nlohmann::json j = {{"up", s.up}, {"node", s.node_kind}, {"accelerator", VmNode::accelerator()}, {"namespaces", s.namespaces},
                        {"root_links", s.root_links}, {"node_ingress_mac", s.node_ingress_mac}};
    std::puts(j.dump(1).c_str());
  } else {
    throw UsageError("unknown testbed action '" + action + "'; use up, down or status");
  }
  return 0;
}

}  // namespace svcbench
