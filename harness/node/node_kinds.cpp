// The registry of node kinds and what every node shares (checked runs, tool versions).
#include <filesystem>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "netns_node.h"
#include "node.h"
#include "ssh_node.h"
#include "testbed.h"
#include "uml_node.h"
#include "vm_node.h"

namespace svcbench {

CommandResult Node::run_checked(const std::vector<std::string>& argv, const std::string& what,
                                const std::string& input) {
  CommandResult r = run(argv, input);
  if (!r.ok())
    throw SetupError(what + " failed on the " + kind() + " node " + tool_failure(argv[0], r));
  return r;
}

std::string Node::exec_prefix() const {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::string("svcbench") : self.string()) + " testbed exec --";
}

std::string Node::restart_guest() {
  throw SetupError("the " + kind() + " node has no guest to restart");
}

nlohmann::json Node::tool_versions() {
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
      versions[key] = r.exit_code == 127 ? "not installed"
                      : r.ok()           ? said
                                         : "unavailable (" + said + ")";
    } catch (const SetupError& e) {
      versions[key] = std::string(e.what()).find("not found") != std::string::npos ? "not installed"
                                                                                   : "unknown";
    }
  }
  return versions;
}

void Node::flush_conntrack() {
  require_tool("conntrack", "conntrack");
  // conntrack -F exits 1 when the table was already empty on some versions; only a missing
  // namespace or tool is an error, and run() throws for those.
  (void)run({"conntrack", "-F"});
}

const char* config_option(KernelFeature feature) {
  switch (feature) {
    case KernelFeature::kIpVs:
      return "CONFIG_IP_VS";
    case KernelFeature::kNfTablesIpv4:
      return "CONFIG_NF_TABLES_IPV4";
  }
  return "?";
}

const std::vector<std::string>& node_kinds() {
  static const std::vector<std::string> kinds = {"netns", "uml", "vm", "ssh"};
  return kinds;
}

std::string node_kinds_with(KernelFeature feature) {
  std::string kinds;
  for (const auto& k : node_kinds())
    if (make_node(k, {})->kernel_has(feature))
      kinds += (kinds.empty() ? "--node " : " or --node ") + k;
  return kinds;
}

std::unique_ptr<Node> make_node(const std::string& kind, const NodeOptions& options) {
  if (kind == "netns") return std::make_unique<NetnsNode>(options);
  if (kind == "uml") return std::make_unique<UmlNode>(options);
  if (kind == "vm") return std::make_unique<VmNode>(options);
  if (kind == "ssh") return std::make_unique<SshNode>(options);
  std::string known;
  for (const auto& k : node_kinds()) known += (known.empty() ? "" : " or ") + k;
  throw UsageError("unknown node kind '" + kind + "'; use " + known);
}

std::unique_ptr<Node> current_node(const NodeOptions& options) {
  const std::string kind = recorded_node_kind();
  if (kind.empty()) throw SetupError("no node is up: run `svcbench testbed up` first");
  return make_node(kind, options);
}

nlohmann::json testbed_status(const NodeOptions& options) {
  const std::string kind = recorded_node_kind();
  if (!kind.empty()) return make_node(kind, options)->status();
  return {{"up", false},
          {"node", ""},
          {"accelerator", ""},
          {"namespaces", svcb_namespaces()},
          {"root_links", svcb_root_links()},
          {"node_ingress_mac", ""}};
}

void remove_every_node() {
  for (const auto& kind : node_kinds()) make_node(kind, {})->down();
}

}  // namespace svcbench
