// Fakes of the two seams below the measurement logic, for unit tests without root:
// FakeNode records every command a mode sends to the node and answers it (keeping the
// iptables tables the way iptables-restore --noflush would, so a test can read back what a
// sequence of syncs leaves loaded), and FakeReplayer "sends" traffic by delivering every
// packet to its flow's endpoints in turn. The real node and generator are tested in
// tests/integration.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "errors.h"
#include "node.h"
#include "operation_limit.h"
#include "replay.h"

namespace svcbench {

struct RecordedCommand {
  std::vector<std::string> argv;
  std::string input;
  std::string tool() const { return argv.empty() ? "" : argv[0]; }
};

// iptables' tables as iptables-restore leaves them: chains in declaration order, rules in order.
class FakeIptables {
 public:
  // Applies a restore payload; noflush: only declared chains are flushed (kube-proxy's way).
  void restore(const std::string& payload, bool noflush) {
    std::istringstream in(payload);
    std::string line, table;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (line[0] == '*') {
        table = line.substr(1);
        if (!noflush) tables_[table] = {};
      } else if (line == "COMMIT") {
        table.clear();
      } else if (line[0] == ':') {
        const std::string chain = line.substr(1, line.find(' ') - 1);
        auto& t = tables_[table];
        if (!t.rules.contains(chain)) t.order.push_back(chain);
        t.rules[chain].clear();
      } else if (line.starts_with("-A ") || line.starts_with("-I ")) {
        const std::string rest = line.substr(3);
        const std::string chain = rest.substr(0, rest.find(' '));
        auto& t = tables_[table];
        if (!t.rules.contains(chain)) t.order.push_back(chain);
        auto& rules = t.rules[chain];
        if (line[1] == 'A')
          rules.push_back(line);
        else
          rules.insert(rules.begin(), "-A " + rest);
      } else if (line.starts_with("-D ")) {
        const std::string rest = line.substr(3);
        auto& rules = tables_[table].rules[rest.substr(0, rest.find(' '))];
        std::erase(rules, "-A " + rest);
      } else if (line.starts_with("-X ")) {
        const std::string chain = line.substr(3);
        auto& t = tables_[table];
        t.rules.erase(chain);
        std::erase(t.order, chain);
      }
    }
  }
  // The iptables command (-N, -C, -I, -A; -w/-W skipped) as kube-proxy's EnsureChain and
  // EnsureRule run it: the exit code iptables gives (1: the chain exists, the rule is missing).
  int command(const std::vector<std::string>& argv) {
    std::string op, chain, table = "filter";
    std::vector<std::string> rule;
    for (size_t i = 1; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if ((a == "-w" || a == "-W") && i + 1 < argv.size()) {
        ++i;
      } else if (a == "-t" && i + 1 < argv.size()) {
        table = argv[++i];
      } else if (op.empty() && (a == "-N" || a == "-C" || a == "-I" || a == "-A") && i + 1 < argv.size()) {
        op = a;
        chain = argv[++i];
      } else {
        rule.push_back(a.find(' ') != std::string::npos ? "\"" + a + "\"" : a);
      }
    }
    auto& t = tables_[table];
    if (op == "-N") {
      if (t.rules.contains(chain)) return 1;
      t.order.push_back(chain);
      t.rules[chain];
      return 0;
    }
    std::string line = "-A " + chain;
    for (const auto& w : rule) line += " " + w;
    const bool builtin = chain == "INPUT" || chain == "OUTPUT" || chain == "FORWARD" ||
                         chain == "PREROUTING" || chain == "POSTROUTING";
    if (!t.rules.contains(chain) && !builtin) return 1;  // "No chain/target/match by that name"
    auto& rules = t.rules[chain];
    if (!std::count(t.order.begin(), t.order.end(), chain)) t.order.push_back(chain);
    if (op == "-C") return std::count(rules.begin(), rules.end(), line) ? 0 : 1;
    if (op == "-I") rules.insert(rules.begin(), line);
    if (op == "-A") rules.push_back(line);
    return 0;
  }
  // iptables-save of one table (or all when empty).
  std::string save(const std::string& only = "") const {
    std::string out;
    for (const auto& [name, t] : tables_) {
      if (!only.empty() && name != only) continue;
      out += "*" + name + "\n";
      for (const auto& chain : t.order) out += ":" + chain + " - [0:0]\n";
      for (const auto& chain : t.order)
        for (const auto& rule : t.rules.at(chain)) out += rule + "\n";
      out += "COMMIT\n";
    }
    return out;
  }

 private:
  struct Table {
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> rules;
  };
  std::map<std::string, Table> tables_;
};

class FakeNode : public Node {
 public:
  std::vector<RecordedCommand> commands;
  std::map<std::string, double> seconds_per_tool;  // node-clock time a tool "takes" (default 0.001)
  bool ip_vs = true;
  std::string kernel_log = "[    0.000000] Linux version 6.1.0\n";  // what dmesg prints
  // When it returns a non-empty text, the command fails with exit 1 and that on stderr.
  std::function<std::string(const RecordedCommand&)> reject;
  std::map<std::string, FakeIptables> iptables;  // per restore/save prefix: "iptables-legacy", ...
  // Held while a restore or save touches `iptables` (a stream reads them from another thread).
  std::mutex* tables_guard = nullptr;

  std::string kind() const override { return "fake"; }
  void up() override { is_up = true; }
  void down() override { is_up = false; }
  nlohmann::json status() override { return {{"up", is_up}, {"node", kind()}}; }
  CommandResult run(const std::vector<std::string>& argv, const std::string& input = "") override {
    commands.push_back({argv, input});
    CommandResult r;
    r.exit_code = 0;
    auto it = seconds_per_tool.find(argv[0]);
    r.seconds = it == seconds_per_tool.end() ? 0.001 : it->second;
    // A tool that would "take" longer than the operation has left is stopped, as a real
    // node's runner stops it (--op-limit).
    if (const auto left = operation_seconds_left(); left && r.seconds > *left)
      throw OperationLimitReached(argv[0], operation_limit_seconds(), std::max(0.0, *left));
    // Plays a guest whose kernel hangs in this command: the agent's heartbeat stops.
    if (stops_answering && stops_answering(commands.back()))
      throw NodeStoppedAnswering("the fake guest stopped answering (no heartbeat for 120 s while running " +
                                     argv[0] + ")",
                                 argv[0], 120);
    if (reject) {
      const std::string why = reject(commands.back());
      if (!why.empty()) {
        r.exit_code = 1;
        r.err = why + "\n";
        return r;
      }
    }
    const std::string& tool = argv[0];
    auto has = [&](const char* flag) {
      return std::find(argv.begin(), argv.end(), flag) != argv.end();
    };
    std::unique_lock<std::mutex> hold;
    if (tables_guard) hold = std::unique_lock<std::mutex>(*tables_guard);
    const bool iptables_tool = tool.starts_with("iptables") || tool.starts_with("ip6tables");
    if (iptables_tool && !tool.ends_with("-restore") && !tool.ends_with("-save")) {
      r.exit_code = iptables[tool].command(argv);
    } else if (tool.ends_with("-restore") && iptables_tool) {
      iptables[tool.substr(0, tool.size() - 8)].restore(input, has("--noflush"));
    } else if (tool.ends_with("-save") && iptables_tool) {
      r.out = iptables[tool.substr(0, tool.size() - 5)].save(has("-t") ? argv.back() : "");
    } else if (tool == "ipset" && argv.size() > 1 && argv[1] == "list") {
      r.out = "KUBE-CLUSTER-IP\nsomeone-elses-set\n";
    } else if (tool == "dmesg") {
      r.out = kernel_log;
    } else if (tool == "cat" && argv.at(1) == "/proc/net/ip_vs") {
      r.exit_code = ip_vs ? 0 : 1;
    }
    return r;
  }
  void require_tool(const std::string&, const std::string&) override {}
  std::string svcbench_tool(const std::string& name) const override { return "/fake/" + name; }
  bool kernel_has(KernelFeature f) const override { return f != KernelFeature::kIpVs || ip_vs; }
  GeneratorLinks generator_links() override { return {}; }
  nlohmann::json context() override { return {{"node_kind", kind()}, {"emulated", false}}; }
  uint64_t default_rate_pps() const override { return 5000; }
  // Plays a guest node: a command it returns true for hangs the guest (NodeStoppedAnswering);
  // restart_guest() counts restarts and returns `console`, what the hung kernel printed.
  std::function<bool(const RecordedCommand&)> stops_answering;
  std::string console;
  int restarts = 0;
  std::string restart_guest() override {
    ++restarts;
    return console;
  }
  bool host_kernel = false;  // plays the netns node: this machine's own kernel
  bool shares_generator_kernel() const override { return host_kernel; }

  // The commands whose tool is `tool`, in order.
  std::vector<RecordedCommand> of(const std::string& tool) const {
    std::vector<RecordedCommand> out;
    for (const auto& c : commands)
      if (c.tool() == tool) out.push_back(c);
    return out;
  }
  bool is_up = false;
};

// Delivers every packet, DNAT-ed to its flow's endpoints round-robin, with a made-up latency.
class FakeReplayer : public PacketReplayer {
 public:
  std::vector<TrafficPlan> sent;  // every plan it was asked to replay
  // Packets per second it delivers; above that, what the offered rate exceeds it by is lost
  // (0: no limit). The capacity search's tests aim at it.
  double capacity_pps = 0;
  ReplayResult replay(const TrafficPlan& traffic, const ReplaySettings& settings, bool) override {
    sent.push_back(traffic);
    ReplayResult r;
    r.endpoint_hits.resize(traffic.flows.size());
    for (size_t f = 0; f < traffic.flows.size(); ++f)
      r.endpoint_hits[f].assign(traffic.flows[f].endpoints.size(), 0);
    for (uint64_t i = 0; i < settings.packets; ++i) {
      const auto& t = traffic.templates[i % traffic.templates.size()];
      auto& hits = r.endpoint_hits[t.flow];
      if (!hits.empty()) ++hits[i % hits.size()];
      r.latency.record(10'000 + i);
    }
    r.tx = r.rx = settings.packets;
    if (capacity_pps > 0 && settings.rate_pps > capacity_pps)
      r.rx = static_cast<uint64_t>(static_cast<double>(settings.packets) * capacity_pps /
                                   static_cast<double>(settings.rate_pps));
    r.lost = r.tx - r.rx;
    r.seconds = r.rx_seconds =
        static_cast<double>(settings.packets) /
        static_cast<double>(settings.rate_pps ? settings.rate_pps : 1'000'000);
    return r;
  }

  // Where a stream's packet goes at steady-clock time now_ns: an endpoint index of its flow,
  // or StreamPacket::kNotBack (dropped). Default: its flow's endpoints in turn.
  std::function<int32_t(const ServiceDispatch& flow, uint64_t sequence, uint64_t now_ns)> route;
  // Streams in real time at settings.rate_pps, each packet back 20 us after it was sent.
  StreamLog stream(const TrafficPlan& traffic, const StreamSettings& settings,
                   const KeepSending& keep_sending) override {
    StreamLog log;
    const uint64_t period = 1'000'000'000 / std::max<uint64_t>(1, settings.rate_pps);
    uint64_t next = steady_now_ns();
    while (log.packets.size() < settings.max_packets) {
      uint64_t now = steady_now_ns();
      if (now < next) continue;
      if (!keep_sending(now)) break;
      const auto& t = traffic.templates[log.packets.size() % traffic.templates.size()];
      const auto& flow = traffic.flows[t.flow];
      StreamPacket p;
      p.tx_ns = now;
      p.flow = t.flow;
      const int32_t e = route ? route(flow, log.packets.size(), now)
                    : flow.endpoints.empty()
                        ? StreamPacket::kNotBack
                        : static_cast<int32_t>(log.packets.size() % flow.endpoints.size());
      if (e != StreamPacket::kNotBack) {
        p.endpoint = e;
        p.rx_ns = now + 20'000;
      }
      log.packets.push_back(p);
      next += period;
    }
    log.full = log.packets.size() == settings.max_packets;
    log.sent = log.packets.size();
    return log;
  }
};

}  // namespace svcbench
