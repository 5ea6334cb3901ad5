#include "node_shell.h"

#include <filesystem>

#include "errors.h"
#include "netns_testbed.h"
#include "vm_node.h"

namespace svcbench {

CommandResult NodeShell::run_checked(const std::vector<std::string>& argv, const std::string& what,
                                     const std::string& input) {
  CommandResult r = run(argv, input);
  if (!r.ok()) {
    std::string first = r.err.substr(0, r.err.find('\n'));
    if (first.empty()) first = r.out.substr(0, r.out.find('\n'));
    throw SetupError(what + " failed on the " + kind() + " node (" + argv[0] + " exit " +
                     std::to_string(r.exit_code) + "): " + first);
  }
  return r;
}

nlohmann::json NodeShell::tool_versions() {
  nlohmann::json versions;
  auto first_line = [](const std::string& text) { return text.substr(0, text.find('\n')); };
  for (const auto& [key, argv] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"iptables_legacy", {"iptables-legacy", "--version"}},
           {"iptables_nft", {"iptables-nft", "--version"}},
           {"nft", {"nft", "--version"}},
           {"ipvsadm", {"ipvsadm", "--version"}}}) {
    try {
      CommandResult r = run(argv);
      const std::string said = first_line(r.out.empty() ? r.err : r.out);
      versions[key] = r.exit_code == 127 ? "not installed" : r.ok() ? said : "unavailable (" + said + ")";
    } catch (const SetupError& e) {
      versions[key] = std::string(e.what()).find("not found") != std::string::npos ? "not installed" : "unknown";
    }
  }
  return versions;
}

CommandResult NetnsShell::run(const std::vector<std::string>& argv, const std::string& input) {
  NetnsTestbed::require_owned(netns_);  // a stat and a small read; every command, so a swap is caught too
  return run_command({argv, netns_, input, true});
}

std::string NetnsShell::svcbench_tool(const std::string& name) const {
  std::error_code ec;
  return (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / name).string();
}

std::shared_ptr<NodeShell> current_node_shell() {
  if (NetnsTestbed::status().node_kind == "vm") return std::make_shared<VmShell>(VmNode::kShareDir);
  return std::make_shared<NetnsShell>(TestbedNames::kNodeNs);
}

}  // namespace svcbench
