// How svcbench runs a tool on the node under test, wherever it is: inside a network
// namespace of this host, or inside the vm node's guest (through its agent). The seconds
// returned are measured on the node, around the tool.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command_runner.h"

namespace svcbench {

class NodeShell {
 public:
  virtual ~NodeShell() = default;
  virtual CommandResult run(const std::vector<std::string>& argv, const std::string& input = "") = 0;
  virtual std::string kind() const = 0;  // "netns" | "vm"
  // Throws SetupError naming the Debian package when the node lacks `tool`.
  virtual void require_tool(const std::string& tool, const std::string& package) = 0;
  // Where one of svcbench's own node-side tools (svcb-ipvs-netlink) is, as seen from the node.
  virtual std::string svcbench_tool(const std::string& name) const = 0;
  // Versions of the rule tools as the node has them (the guest's on the vm node), for the
  // results' context: {"iptables_legacy", "iptables_nft", "nft", "ipvsadm"}; "not installed"
  // or "unavailable (...)" where a tool is missing or cannot run (ipvsadm without IP_VS).
  nlohmann::json tool_versions();
  // Throws SetupError "<what> failed (...)" when the tool exits non-zero.
  CommandResult run_checked(const std::vector<std::string>& argv, const std::string& what,
                            const std::string& input = "");
};

// Runs tools in a namespace `svcbench testbed up` created, checked before every command
// (NetnsTestbed::require_owned): never the host's namespace or one made by someone else.
class NetnsShell : public NodeShell {
 public:
  explicit NetnsShell(std::string netns) : netns_(std::move(netns)) {}
  CommandResult run(const std::vector<std::string>& argv, const std::string& input = "") override;
  std::string kind() const override { return "netns"; }
  // The namespace runs this host's binaries.
  void require_tool(const std::string& tool, const std::string& package) override {
    svcbench::require_tool(tool, package);
  }
  // Built beside this svcbench binary.
  std::string svcbench_tool(const std::string& name) const override;

 private:
  std::string netns_;
};

// The shell of the node `svcbench testbed up --node KIND` brought up (reads /run/svcbench).
std::shared_ptr<NodeShell> current_node_shell();

}  // namespace svcbench
