#include "uml_node.h"

#include <cpuid.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <fstream>

#include "atomic_file.h"
#include "errors.h"
#include "guest_agent.h"
#include "testbed.h"

namespace svcbench {
namespace {

namespace fs = std::filesystem;
using N = TestbedNames;
const std::string kShare = std::string(UmlNode::kDir) + "/share";  // rw hostfs: /mnt in the guest
const std::string kInit = std::string(UmlNode::kDir) + "/init.sh";
const std::string kPidFile = std::string(UmlNode::kDir) + "/uml.pid";
const std::string kLogFile = std::string(UmlNode::kDir) + "/uml.log";
constexpr const char* kModulesDir = "/usr/lib/uml/modules";
constexpr const char* kUmid = "svcb-uml";  // in linux.uml's command line: how stop_guest knows it
constexpr int kAgentPollMs = 20;
// UML maps each guest page a guest process touches into its host process on its own: a guest
// process using 1 GiB needs ~262,000 mappings, past the host's default vm.max_map_count (65,530)
// — "UML ran out of memory on the host side" when nft listed a 10,000-Service table. Raised
// while the guest runs; down() puts the saved value back.
constexpr const char* kMaxMapCount = "/proc/sys/vm/max_map_count";
constexpr long kGuestMaxMapCount = 4'194'304;
const std::string kSavedMaxMapCount = std::string(UmlNode::kDir) + "/max_map_count.saved";

void raise_max_map_count() {
  const long now = std::atol(read_if_present(kMaxMapCount).c_str());
  if (now <= 0 || now >= kGuestMaxMapCount) return;
  if (!fs::exists(kSavedMaxMapCount)) write_file_atomically(kSavedMaxMapCount, std::to_string(now) + "\n");
  std::ofstream(kMaxMapCount) << kGuestMaxMapCount << "\n";
}

void restore_max_map_count() {
  const std::string saved = read_if_present(kSavedMaxMapCount);
  if (saved.empty()) return;
  std::ofstream(kMaxMapCount) << saved;
}

constexpr const char* kBuiltKernels = "/var/cache/svcbench/uml-kernel";  // scripts/build-uml-kernel

// The modules of the packaged kernel: /usr/lib/uml/modules/<release>.
std::string module_release() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kModulesDir, ec)) return e.path().filename();
  throw SetupError(std::string("no user-mode Linux modules in ") + kModulesDir +
                   ": install user-mode-linux (scripts/install-deps)");
}

// The size of this CPU's whole XSAVE area (CPUID 0xD.0 ECX); 0 when the CPU cannot say.
unsigned host_xsave_bytes() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(0xd, 0, &a, &b, &c, &d) ? c : 0;
}

// PID 1 of the guest: mounts, the modules svcbench's modes use (IPVS, ipset, iptables'
// matches, IPv6 and ip6tables) when the kernel has modules, then the agent over the share. The
// share is mounted before /run gets a tmpfs.
std::string init_script(const std::string& agent, bool load_modules) {
  const std::string modules =
      "echo /mnt/modprobe >/proc/sys/kernel/modprobe\n"
      "for m in nf_conntrack nf_nat ip_tables iptable_nat iptable_filter x_tables xt_conntrack "
      "xt_comment \\\n"
      "         xt_mark xt_statistic xt_addrtype xt_MASQUERADE xt_nat xt_tcpudp xt_recent "
      "ipt_REJECT ip_set \\\n"
      "         ip_set_hash_ip ip_set_hash_ipport ip_set_hash_ipportip ip_set_hash_ipportnet "
      "ip_set_hash_net \\\n"
      "         ip_set_bitmap_port xt_set ip_vs ip_vs_rr dummy ipv6 ip6_tables ip6table_nat \\\n"
      "         ip6table_filter ip6table_mangle ip6t_REJECT; do\n"
      "  /mnt/modprobe \"$m\" 2>/dev/null\n"
      "done\n";
  return "#!/bin/sh\n"
         "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
         "mount -t proc proc /proc\n"
         "mount -t sysfs sysfs /sys\n"
         "mount -t hostfs -o " +
         kShare +
         " none /mnt\n"
         "mount -t tmpfs tmpfs /run\n"
         "mount -t tmpfs tmpfs /tmp\n"
         "mount -t devtmpfs dev /dev 2>/dev/null\n" +
         (load_modules ? modules : "") +  // a built kernel has everything built in
         "echo \"svcb: guest up, kernel $(uname -r)\"\n"
         "exec " +
         agent + " /mnt " + std::to_string(kAgentPollMs) + "\n";
}

// What the guest printed last before its kernel gave up (not the panic's stack), one line.
std::string last_words(std::string log) {
  log = log.substr(0, log.find("Kernel panic"));
  if (log.size() > 300) log = log.substr(log.size() - 300);
  for (char& c : log)
    if (c == '\n' || c == '\r') c = ' ';
  return log;
}

}  // namespace

std::string uml_kernel_path(const std::string& choice) {
  if (choice == "debian") return "linux.uml";
  if (choice == "6.12" || choice == "6.1") return std::string(kBuiltKernels) + "/" + choice + "/linux";
  return choice;
}

std::string uml_kernel_config(const std::string& choice) {
  if (choice == "debian") return "";
  return read_if_present((fs::path(uml_kernel_path(choice)).parent_path() / "config").string());
}

bool UmlNode::kernel_has(KernelFeature feature) const {
  if (options_.uml_kernel == "debian") return feature == KernelFeature::kIpVs;
  const std::string config = uml_kernel_config(options_.uml_kernel);
  if (config.empty()) return true;  // a kernel of unknown make: each mode finds out on it
  return config.find("\n" + std::string(config_option(feature)) + "=y\n") != std::string::npos;
}

// svcbench's node-side tools are copied into the share: the build may live under a path the
// guest's own mounts hide (/tmp, /run), the share is mounted first.
std::string UmlNode::svcbench_tool(const std::string& name) const { return "/mnt/" + name; }

void UmlNode::up() {
  down();
  try {
    const bool packaged = options_.uml_kernel == "debian";
    const std::string kernel = uml_kernel_path(options_.uml_kernel);
    if (!packaged && access(kernel.c_str(), X_OK) != 0)
      throw SetupError(options_.uml_kernel == "6.12" || options_.uml_kernel == "6.1"
                           ? "no uml kernel " + options_.uml_kernel + " at " + kernel +
                                 ": build it with scripts/build-uml-kernel " + options_.uml_kernel
                           : "--uml-kernel " + kernel + ": no executable kernel there");
    const std::string release = packaged ? module_release() : "";
    std::error_code ec;
    const fs::path build = fs::read_symlink("/proc/self/exe", ec).parent_path();
    for (const char* tool : {"svcb-vm-agent", "svcb-ipvs-netlink"})
      if (access((build / tool).c_str(), X_OK) != 0)
        throw SetupError((build / tool).string() + " is missing: run scripts/build");
    create_generator_namespace();
    create_node_namespace(kUmlNs, kTxLink, kGuestIngressLink, kRxLink, kGuestEgressLink);
    write_testbed_record(kind(), {N::kGeneratorNs, kUmlNs});
    fs::create_directories(kDir);
    raise_max_map_count();
    // The share: the agent's folder, and for the packaged kernel a modprobe that finds its
    // modules, and them.
    fs::create_directories(kShare);
    for (const char* tool : {"svcb-vm-agent", "svcb-ipvs-netlink"})
      fs::copy_file(build / tool, kShare + "/" + tool, fs::copy_options::overwrite_existing);
    if (packaged) {
      fs::create_directories(kShare + "/modules/lib/modules");
      fs::create_symlink(std::string(kModulesDir) + "/" + release,
                         kShare + "/modules/lib/modules/" + release);
      write_file_atomically(kShare + "/modprobe",
                            "#!/bin/sh\nexec /usr/sbin/modprobe -d /mnt/modules \"$@\"\n");
      fs::permissions(kShare + "/modprobe",
                      fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    }
    write_file_atomically(kInit, init_script(svcbench_tool("svcb-vm-agent"), packaged));
    fs::permissions(kInit, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    start_guest();
  } catch (...) {
    down();
    throw;
  }
}

void UmlNode::start_guest() {
  const std::string raw = ",depth=128,mac=";
  const pid_t pid = svcbench::start_guest(
      // 4 GiB (backed by a sparse file, touched as used): at 512 MiB the guest's OOM killer
      // stopped nft in a 10,000-Service nftables cold start.
      {{uml_kernel_path(options_.uml_kernel), "mem=4096M", "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "ro",
        "init=" + kInit, "con=null", "con0=null,fd:1", std::string("umid=") + kUmid,
        std::string("uml_dir=") + kDir,
        std::string("vec0:transport=raw,ifname=") + kGuestIngressLink + raw + kGuestIngressMac,
        std::string("vec1:transport=raw,ifname=") + kGuestEgressLink + raw + kGuestEgressMac},
       options_.uml_kernel == "debian" ? "user-mode-linux" : "scripts/build-uml-kernel",
       kUmlNs,
       kLogFile,
       kPidFile});
  if (!wait_for_agent(kShare, pid, 60)) {
    const std::string console = read_if_present(kLogFile);
    // UML 6.1 and 6.12 compile in a 2,696-byte XSAVE area for their processes' FP registers;
    // the host's ptrace takes only its own whole area (11,008 bytes with AMX's tile data), so
    // on such CPUs every guest process dies at once (EFAULT). scripts/build-uml-kernel compiles
    // in the host's size.
    if (console.find("ptrace set fp regs failed") != std::string::npos)
      throw SetupError(
          "the uml guest cannot run on this CPU: its kernel hands ptrace a 2,696-byte FP state "
          "and this CPU's XSAVE area is " + std::to_string(host_xsave_bytes()) +
          " bytes (\"ptrace set fp regs failed, errno = 14\"); use --uml-kernel 6.12 built "
          "here by scripts/build-uml-kernel, or --node vm");
    throw SetupError("the uml guest did not start (no agent after 60 s); its console said: " +
                     last_words(console));
  }
  auto guest = [&](const std::vector<std::string>& argv, const std::string& what) {
    CommandResult r = run_through_agent(kShare, argv, "", 60, "uml");
    if (!r.ok()) throw SetupError(what + " failed on the uml node " + tool_failure(argv[0], r));
  };
  // Forwarding in both families; IPv6 silent as on the netns node (no link-local address, DAD
  // or router solicitation: set before the links come up).
  std::vector<std::string> sysctl = {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1",
                                     "net.ipv6.conf.all.forwarding=1"};
  for (const char* conf : {"all", "default", "vec0", "vec1"}) {
    sysctl.push_back(std::string("net.ipv4.conf.") + conf + ".rp_filter=0");
    for (const char* key : {"accept_dad=0", "accept_ra=0", "router_solicitations=0"})
      sysctl.push_back(std::string("net.ipv6.conf.") + conf + "." + key);
  }
  for (const char* link : {"vec0", "vec1"})
    sysctl.push_back(std::string("net.ipv6.conf.") + link + ".addr_gen_mode=1");
  guest(sysctl, "guest forwarding and IPv6 settings");
  // Dual-stack: both families' plans on the guest's links, as on the netns and vm nodes, in one
  // batch (each tool start costs the guest ~30 ms). A batch line takes no family option: the
  // addresses say it.
  const std::string rx_mac = mac_of(N::kGeneratorNs, kRxLink);
  const std::string tx_mac = mac_of(N::kGeneratorNs, kTxLink);
  std::vector<NodeLinkCommands> families;
  for (const AddressPlan& family_plan : {options_.plan, AddressPlan::ipv6()})
    families.push_back(node_link_commands(family_plan, "vec0", "vec1", tx_mac, rx_mac));
  auto line = [](const std::vector<std::string>& args) {  // args[0] is "-4" or "-6"
    std::string l;
    for (size_t i = 1; i < args.size(); ++i) l += (i > 1 ? " " : "") + args[i];
    return l + "\n";
  };
  std::string batch = "link set lo up\n";
  for (const auto& f : families)
    for (const auto& args : f.addresses) batch += line(args);
  batch += "link set vec0 up\nlink set vec1 up\n";
  for (const auto& f : families)
    for (const auto& args : f.routes) batch += line(args);
  write_file_atomically(kShare + "/links.batch", batch);
  guest({"/usr/bin/ip", "-batch", "/mnt/links.batch"}, "addressing the guest's links");
}

std::string UmlNode::restart_guest() {
  const std::string console = read_if_present(kLogFile);  // start_guest truncates it
  svcbench::stop_guest(kPidFile, std::string("umid=") + kUmid);
  std::error_code ec;
  fs::remove_all(fs::path(kDir) / kUmid, ec);  // the stopped kernel's pid and mconsole
  clear_agent_files(kShare);  // the tools copied into the share stay
  start_guest();
  return console;
}

void UmlNode::down() {
  stop_guest(kPidFile, std::string("umid=") + kUmid);
  restore_max_map_count();
  std::error_code ec;
  fs::remove_all(kDir, ec);
  remove_testbed_leftovers();
}

nlohmann::json UmlNode::status() {
  const auto namespaces = svcb_namespaces();
  auto has = [&](const char* ns) {
    return std::find(namespaces.begin(), namespaces.end(), ns) != namespaces.end();
  };
  const bool up = has(N::kGeneratorNs) && has(kUmlNs) && fs::exists(kShare + "/agent.ready");
  return {{"up", up},
          {"node", kind()},
          {"accelerator", ""},
          {"namespaces", namespaces},
          {"root_links", svcb_root_links()},
          {"node_ingress_mac", up ? kGuestIngressMac : ""}};
}

CommandResult UmlNode::run(const std::vector<std::string>& argv, const std::string& input) {
  CommandResult r = run_through_agent(kShare, argv, input, options_.vm_silence_seconds, "uml");
  // UML's accounting puts a guest process's CPU time all in system time (user 0.00 even for
  // iptables-nft-restore, which spends 98% of a native node's time in user space): the split
  // is not the guest's to give.
  r.user_seconds = r.system_seconds = -1;
  return r;
}

GeneratorLinks UmlNode::generator_links() {
  for (const char* ns : {N::kGeneratorNs, kUmlNs})
    require_owned_namespace(ns);  // before DPDK attaches
  return {N::kGeneratorNs,
          kTxLink,
          kRxLink,
          N::kBaselineTx,
          N::kBaselineRx,
          kGuestIngressMac,
          mac_of(N::kGeneratorNs, N::kBaselineRx)};
}

nlohmann::json UmlNode::context() {
  nlohmann::json c = {{"node_kind", kind()}, {"emulated", false}};
  c.update(tool_versions());
  const std::string release = run({"uname", "-r"}).out;
  c["guest_kernel"] = release.substr(0, release.find('\n'));
  nlohmann::json kernel = {{"choice", options_.uml_kernel},
                           {"path", uml_kernel_path(options_.uml_kernel)}};
  if (options_.uml_kernel != "debian") {
    // What scripts/build-uml-kernel recorded: source package, fragment, compiler, FP size.
    const std::string info = read_if_present(
        (fs::path(uml_kernel_path(options_.uml_kernel)).parent_path() / "build-info.json").string());
    kernel["build"] = nlohmann::json::parse(info, nullptr, false);
    if (kernel["build"].is_discarded()) kernel["build"] = nullptr;
  }
  c["uml_kernel"] = kernel;
  c["note"] =
      "user-mode Linux guest: netfilter/IPVS code runs natively, but every guest syscall and "
      "process start is slower than native: its update times are the guest's, not a native "
      "node's (the price per mode, uml against netns: results/comparisons/uml-guest-price)";
  return c;
}

}  // namespace svcbench
