#include "ssh_node.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "atomic_file.h"
#include "errors.h"
#include "testbed.h"

namespace svcbench {
namespace {

namespace fs = std::filesystem;
constexpr const char* kControlPath = "/run/svcbench/ssh-%C";
constexpr const char* kTimingTag = "svcb-timing ";

// One word for the remote shell: single-quoted, with ' written as '\''.
std::string quoted(const std::string& word) {
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

nlohmann::json access_json(const SshAccess& a) {
  return {{"target", a.target},
          {"identity", a.identity},
          {"options", a.options},
          {"in_link", a.in_link},
          {"out_link", a.out_link}};
}

nlohmann::json read_record() {
  std::ifstream in(SshNode::kRecord);
  if (!in) return nullptr;
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

// Whether up() found IPv6 on the node and programmed it.
bool record_has_ipv6() {
  const auto record = read_record();
  return record.is_object() && record.value("ipv6", false);
}

void write_record(const nlohmann::json& record) {
  fs::create_directories("/run/svcbench");
  write_file_atomically(SshNode::kRecord, record.dump(1) + "\n");
}

}  // namespace

SshNode::SshNode(NodeOptions options) : options_(std::move(options)) {
  if (options_.ssh.target.empty()) {
    const auto record = read_record();
    if (record.is_object() && record.contains("access")) {
      const auto& a = record["access"];
      options_.ssh = {a.value("target", ""), a.value("identity", ""),
                      a.value("options", std::vector<std::string>{}), a.value("in_link", ""),
                      a.value("out_link", "")};
    }
  }
}

std::vector<std::string> SshNode::ssh_argv() const {
  const SshAccess& a = options_.ssh;
  if (a.target.empty())
    throw UsageError(
        "--node ssh needs --ssh-target USER@HOST (and --node-links IN,OUT to bring it up)");
  std::vector<std::string> argv = {"ssh",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "ControlMaster=auto",
                                   "-o",
                                   std::string("ControlPath=") + kControlPath,
                                   "-o",
                                   "ControlPersist=120"};
  if (!a.identity.empty()) argv.insert(argv.end(), {"-i", a.identity});
  for (const auto& o : a.options) argv.insert(argv.end(), {"-o", o});
  argv.insert(argv.end(), {a.target, "--"});
  return argv;
}

std::string SshNode::exec_prefix() const {
  std::string prefix;
  for (const auto& word : ssh_argv()) prefix += (prefix.empty() ? "" : " ") + word;
  return prefix;
}

CommandResult SshNode::run(const std::vector<std::string>& argv, const std::string& input) {
  std::error_code ec;
  fs::create_directories("/run/svcbench", ec);
  // The node's own clock brackets the tool; the line it adds to stderr is taken off again.
  std::string command = "svcb_s=$(date +%s%N);";
  for (const auto& a : argv) command += " " + quoted(a);
  command += "; svcb_rc=$?; svcb_e=$(date +%s%N); echo \"" + std::string(kTimingTag) +
             "$svcb_rc $svcb_s $svcb_e\" >&2; exit $svcb_rc";
  auto ssh = ssh_argv();
  ssh.push_back(command);
  CommandResult r = run_command({ssh, "", input, true});
  const size_t tag = r.err.rfind(kTimingTag);
  if (tag == std::string::npos)
    throw SetupError("ssh to " + options_.ssh.target + " failed " + tool_failure("ssh", r) +
                     ": check --ssh-target, --ssh-identity and that the key is authorized there");
  std::istringstream timing(r.err.substr(tag + std::string(kTimingTag).size()));
  long long start_ns = 0, end_ns = 0;
  timing >> r.exit_code >> start_ns >> end_ns;
  r.seconds = static_cast<double>(end_ns - start_ns) / 1e9;
  r.err.erase(tag);
  return r;
}

std::string SshNode::remote_value(const std::vector<std::string>& argv) {
  const std::string out = run_checked(argv, "reading " + argv.back()).out;
  return out.substr(0, out.find('\n'));
}

void SshNode::require_tool(const std::string& tool, const std::string& package) {
  if (!run({"sh", "-c", "command -v \"$0\" >/dev/null", tool}).ok())
    throw SetupError(tool + " not found on " + options_.ssh.target + ": install " + package +
                     " there");
}

std::string SshNode::svcbench_tool(const std::string& name) const {
  return std::string(kToolDir) + "/" + name;
}

bool SshNode::kernel_has(KernelFeature feature) const {
  if (options_.ssh.target.empty()) return false;  // unknown until the user names the node
  auto probe = [&](std::optional<bool>& cache, std::vector<std::string> argv) {
    if (!cache) cache = const_cast<SshNode*>(this)->run(argv).ok();
    return *cache;
  };
  if (feature == KernelFeature::kIpVs)
    return probe(has_ip_vs_,
                 {"sh", "-c", "test -e /proc/net/ip_vs || modinfo ip_vs >/dev/null 2>&1"});
  return probe(has_nf_tables_, {"sh", "-c", "nft list tables >/dev/null 2>&1"});
}

void SshNode::change(const std::vector<std::string>& argv, const std::vector<std::string>& undo,
                     const std::string& what, const std::string& input) {
  auto record = read_record();
  record["undo"].push_back(undo);
  write_record(record);
  run_checked(argv, what, input);
}

void SshNode::up() {
  const SshAccess& a = options_.ssh;
  if (a.in_link.empty() || a.out_link.empty())
    throw UsageError(
        "--node ssh needs --node-links IN,OUT: the node's links wired to the generator's TX and RX "
        "ports");
  down();  // what a killed run left
  run_checked({"true"}, "reaching " + a.target);
  for (const auto& link : {a.in_link, a.out_link})
    if (!run({"ip", "link", "show", "dev", link}).ok())
      throw UsageError("the node has no link " + link +
                       ": name its data links with --node-links IN,OUT");
  // Never the links that carry the node's default route or this SSH session.
  const auto routes = nlohmann::json::parse(
      run_checked({"ip", "-j", "route", "show", "default"}, "reading routes").out, nullptr, false);
  const std::string session =
      run_checked({"sh", "-c", "echo $SSH_CONNECTION"}, "reading the session").out;
  std::istringstream words(session);
  std::string client;
  words >> client;
  // The node's route back to this session's client is the link the session uses.
  const auto session_route = nlohmann::json::parse(
      run_checked({"ip", "-j", "route", "get", client.empty() ? "127.0.0.1" : client},
                  "reading the session's route")
          .out,
      nullptr, false);
  for (const auto& link : {a.in_link, a.out_link}) {
    if (routes.is_array())
      for (const auto& r : routes)
        if (r.value("dev", "") == link)
          throw UsageError(
              "link " + link +
              " carries the node's default route; name the links wired to the generator");
    if (session_route.is_array() && !session_route.empty() &&
        session_route[0].value("dev", "") == link)
      throw UsageError("link " + link +
                       " carries this SSH session; name the links wired to the generator");
  }
  const AddressPlan& plan = options_.plan;
  // IPv6 where the node's kernel has it (not booted with ipv6.disable=1): dual-stack, as the
  // other nodes are.
  const bool ipv6 = run({"test", "-d", "/proc/sys/net/ipv6"}).ok();
  std::vector<AddressPlan> plans = {plan};
  if (ipv6) plans.push_back(AddressPlan::ipv6());
  for (const AddressPlan& p : plans)
    if (!run_checked({"ip", "route", "show", p.pods.str()}, "reading routes").out.empty())
      throw UsageError("the node already routes " + p.pods.str() +
                       "; svcbench needs that range for its endpoints");
  write_testbed_record(kind(), {});
  write_record({{"access", access_json(a)}, {"ipv6", ipv6}, {"undo", nlohmann::json::array()}});
  const std::string prefix = "/" + std::to_string(plan.link_prefix());
  const std::pair<std::string, IpAddress> addresses[] = {
      {a.in_link, plan.node_ingress_address()}, {a.out_link, plan.node_egress_address()}};
  for (const auto& [link, address] : addresses) {
    const auto shown = nlohmann::json::parse(
        run_checked({"ip", "-j", "link", "show", "dev", link}, "reading " + link).out, nullptr,
        false);
    bool was_up = false;
    if (shown.is_array() && !shown.empty())
      for (const auto& flag : shown[0].value("flags", std::vector<std::string>{}))
        was_up |= flag == "UP";
    if (!was_up)
      change({"ip", "link", "set", "dev", link, "up"}, {"ip", "link", "set", "dev", link, "down"},
             "bringing up " + link);
    change({"ip", "addr", "add", address.str() + prefix, "dev", link},
           {"ip", "addr", "del", address.str() + prefix, "dev", link}, "addressing " + link);
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"forwarding", "1"}, {"rp_filter", "0"}}) {
      const std::string sysctl = "net.ipv4.conf." + link + "." + key;
      const std::string old = remote_value({"sysctl", "-n", sysctl});
      change({"sysctl", "-q", "-w", sysctl + "=" + value},
             {"sysctl", "-q", "-w", sysctl + "=" + old}, "setting " + sysctl);
    }
  }
  if (ipv6) enable_ipv6();
  for (const AddressPlan& p : plans)
    change({"ip", "route", "add", p.pods.str(), "via", p.endpoint_next_hop().str(), "dev",
            a.out_link},
           {"ip", "route", "del", p.pods.str(), "via", p.endpoint_next_hop().str(), "dev",
            a.out_link},
           "routing the pod range");
  // svcbench's own node-side tool, where the IPVS mode finds it.
  std::error_code ec;
  const fs::path local = fs::read_symlink("/proc/self/exe", ec).parent_path() / "svcb-ipvs-netlink";
  if (fs::exists(local))
    change(
        {"sh", "-c",
         "mkdir -p \"$0\" && cat >\"$0/svcb-ipvs-netlink\" && chmod 755 \"$0/svcb-ipvs-netlink\"",
         kToolDir},
        {"rm", "-rf", kToolDir}, "copying svcb-ipvs-netlink", read_file(local));
}

// IPv6 on the two data links, the 2001:2::/48 plan's addresses without duplicate address
// detection, and forwarding, which Linux switches for the whole node (all.forwarding) and which
// also turns off accepting router advertisements: links that accepted them (accept_ra 1) are set
// to 2 (accept them while forwarding) first, so the node keeps the IPv6 routes it learns; the
// undo puts every link's forwarding back as it was.
void SshNode::enable_ipv6() {
  const SshAccess& a = options_.ssh;
  const AddressPlan plan = AddressPlan::ipv6();
  const std::string prefix = "/" + std::to_string(plan.link_prefix());
  auto set_sysctl = [&](const std::string& key, const std::string& value) {
    const std::string old = remote_value({"sysctl", "-n", key});
    if (old != value)
      change({"sysctl", "-q", "-w", key + "=" + value}, {"sysctl", "-q", "-w", key + "=" + old},
             "setting " + key);
  };
  // Silent before it is on: no link-local address, DAD, router solicitation or advertisement.
  for (const auto& link : {a.in_link, a.out_link})
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"addr_gen_mode", "1"},
                                     {"accept_dad", "0"},
                                     {"accept_ra", "0"},
                                     {"router_solicitations", "0"},
                                     {"disable_ipv6", "0"}})
      set_sysctl("net.ipv6.conf." + link + "." + key, value);
  if (remote_value({"sysctl", "-n", "net.ipv6.conf.all.forwarding"}) != "1") {
    // "LINK FORWARDING ACCEPT_RA" per link, all and default included.
    std::istringstream links(
        run_checked({"sh", "-c",
                     "cd /proc/sys/net/ipv6/conf && for l in *; do echo \"$l $(cat \"$l/forwarding\") "
                     "$(cat \"$l/accept_ra\")\"; done"},
                    "reading IPv6 link settings")
            .out);
    std::string link, forwarding, accept_ra, restore = "sysctl -q -w net.ipv6.conf.all.forwarding=0";
    while (links >> link >> forwarding >> accept_ra) {
      if (link == "all") continue;
      if (accept_ra == "1" && link != a.in_link && link != a.out_link)
        change({"sysctl", "-q", "-w", "net/ipv6/conf/" + link + "/accept_ra=2"},
               {"sysctl", "-q", "-w", "net/ipv6/conf/" + link + "/accept_ra=1"},
               "keeping router advertisements on " + link);
      // "; ": a link gone by then must not keep the others' forwarding from coming back.
      if (forwarding == "1") restore += "; sysctl -q -w net/ipv6/conf/" + link + "/forwarding=1";
    }
    change({"sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"}, {"sh", "-c", restore},
           "turning on IPv6 forwarding");
  }
  const std::pair<std::string, IpAddress> addresses[] = {
      {a.in_link, plan.node_ingress_address()}, {a.out_link, plan.node_egress_address()}};
  for (const auto& [link, address] : addresses)
    change({"ip", "-6", "addr", "add", address.str() + prefix, "dev", link, "nodad"},
           {"ip", "-6", "addr", "del", address.str() + prefix, "dev", link}, "addressing " + link);
}

void SshNode::require_family(IpFamily family) const {
  if (family == IpFamily::kIpv6 && !record_has_ipv6())
    throw SetupError("the ssh node " + options_.ssh.target +
                     " has no IPv6 (/proc/sys/net/ipv6 is missing: booted with ipv6.disable=1?); "
                     "use --ip-family ipv4 there");
}

void SshNode::attach_generator(const std::string& tx_mac, const std::string& rx_mac) {
  const SshAccess& a = options_.ssh;
  std::vector<AddressPlan> plans = {options_.plan};
  if (record_has_ipv6()) plans.push_back(AddressPlan::ipv6());
  for (const AddressPlan& plan : plans) {
    change({"ip", "neigh", "replace", plan.endpoint_next_hop().str(), "lladdr", rx_mac, "nud",
            "permanent", "dev", a.out_link},
           {"ip", "neigh", "del", plan.endpoint_next_hop().str(), "dev", a.out_link},
           "adding the endpoint neighbour");
    for (uint32_t i = 0; i < AddressPlan::kClientAddresses; ++i)
      change({"ip", "neigh", "replace", plan.client_address(i).str(), "lladdr", tx_mac, "nud",
              "permanent", "dev", a.in_link},
             {"ip", "neigh", "del", plan.client_address(i).str(), "dev", a.in_link},
             "adding a client neighbour");
  }
}

void SshNode::down() {
  const auto record = read_record();
  if (record.is_object()) {
    const auto undo = record.value("undo", nlohmann::json::array());
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
      try {
        run(it->get<std::vector<std::string>>());  // what is already gone stays gone
      } catch (const SetupError& e) {
        // Unreachable: the record stays, so the next down undoes it all.
        throw SetupError("cannot undo svcbench's changes on the ssh node (" +
                         std::string(e.what()) + "); they stay recorded in " + kRecord +
                         ": run `svcbench testbed down` when it answers");
      }
    }
    if (!options_.ssh.target.empty()) {
      auto exit = ssh_argv();
      exit.pop_back();  // "--"
      exit.insert(exit.end() - 1, {"-O", "exit"});
      run_command({exit, "", "", true});
    }
    std::error_code ec;
    fs::remove(kRecord, ec);
  }
  if (recorded_node_kind() == kind()) remove_testbed_record();
}

nlohmann::json SshNode::status() {
  const auto record = read_record();
  return {{"up", record.is_object()},
          {"node", kind()},
          {"accelerator", ""},
          {"namespaces", nlohmann::json::array()},
          {"root_links", nlohmann::json::array()},
          {"node_ingress_mac", ""},
          {"target", options_.ssh.target}};
}

GeneratorLinks SshNode::generator_links() {
  const auto shown =
      nlohmann::json::parse(run_checked({"ip", "-j", "link", "show", "dev", options_.ssh.in_link},
                                        "reading the ingress MAC")
                                .out,
                            nullptr, false);
  GeneratorLinks links;  // no namespace of ours: the generator's ports come from the EAL arguments
  if (shown.is_array() && !shown.empty()) links.node_ingress_mac = shown[0].value("address", "");
  return links;
}

nlohmann::json SshNode::context() {
  nlohmann::json c = {{"node_kind", kind()}, {"emulated", false}};
  c.update(tool_versions());
  c["node_host"] = remote_value({"uname", "-n"});
  c["node_kernel"] = remote_value({"uname", "-r"});
  c["node_links"] = {options_.ssh.in_link, options_.ssh.out_link};
  c["node_ip_families"] = record_has_ipv6()
                              ? nlohmann::json{"ipv4", "ipv6"}
                              : nlohmann::json{"ipv4"};
  return c;
}

}  // namespace svcbench
