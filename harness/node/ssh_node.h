// The ssh node: another machine, reached with OpenSSH (key auth, BatchMode, one control
// master so each tool costs one round trip), whose two data links the user names
// (--node-links IN,OUT: wired to the generator's TX and RX ports). svcbench creates nothing on
// its own machine for it. On the node it programs only those links — addresses from the plan,
// forwarding on and rp_filter off on them, the endpoint range routed out of OUT to the
// generator's RX port (static neighbour), in both families where the node has IPv6 (IPv6
// forwarding is the node's whole: see enable_ipv6) — and records each change with its undo on this
// machine before making it, so `testbed down`, a signal or the next `up` after a kill -9 undoes
// exactly that. It refuses links that carry the node's default route or the SSH session.
// Tools run there and are timed on that machine's clock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "node.h"

namespace svcbench {

class SshNode : public Node {
 public:
  static constexpr const char* kRecord = "/run/svcbench/ssh-node.json";  // access + undo list
  static constexpr const char* kToolDir = "/var/tmp/svcbench";           // on the node

  // Access from the options; when they name no target, from the record of a node that is up.
  explicit SshNode(NodeOptions options);
  std::string kind() const override { return "ssh"; }
  void up() override;
  void down() override;
  nlohmann::json status() override;
  CommandResult run(const std::vector<std::string>& argv, const std::string& input = "") override;
  void require_tool(const std::string& tool, const std::string& package) override;
  std::string svcbench_tool(const std::string& name) const override;
  // ssh's command line to the node (its words joined: options with spaces are not supported).
  std::string exec_prefix() const override;
  bool kernel_has(KernelFeature feature) const override;
  GeneratorLinks generator_links() override;
  void attach_generator(const std::string& tx_mac, const std::string& rx_mac) override;
  void require_family(IpFamily family) const override;
  nlohmann::json context() override;
  uint64_t default_rate_pps() const override { return 5000; }

 private:
  std::vector<std::string> ssh_argv() const;
  // Runs `argv` after recording `undo`, so a kill -9 in between still leaves it undoable.
  void change(const std::vector<std::string>& argv, const std::vector<std::string>& undo,
              const std::string& what, const std::string& input = "");
  std::string remote_value(const std::vector<std::string>& argv);  // first line of stdout
  void enable_ipv6();  // up()'s IPv6 part
  NodeOptions options_;
  mutable std::optional<bool> has_ip_vs_, has_nf_tables_;
};

}  // namespace svcbench
