// svcbench: measure what a Kubernetes node's Service dataplane costs per packet and per rule
// update as the number of Services grows. Only main() decides the exit code.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "command_line.h"
#include "errors.h"
#include "interruption.h"

namespace {

constexpr const char* kUsage =
    "usage: svcbench <command> [options]\n\n"
    "commands:\n"
    "  rules         print the ruleset kube-proxy would write (and a matching pcap)\n"
    "  pcap inspect  print JSON facts about a pcap/pcapng file\n"
    "  profile       a cluster's endpoints per Service port (for --endpoints-profile)\n"
    "  manifests     the synthetic Services as a List for kubectl apply\n"
    "  testbed       up | down | status of the node under test (--node netns|uml|vm|ssh)\n"
    "  run           one measurement against the node as it is\n"
    "  sweep         modes x Service counts: rule updates and latency, results.json\n"
    "  compare       two runs' results per point, with a significance test\n\n"
    "`svcbench <command> --help` describes each command.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "rules") return svcbench::rules_command(args);
    if (command == "pcap") return svcbench::pcap_command(args);
    if (command == "profile") return svcbench::profile_command(args);
    if (command == "manifests") return svcbench::manifests_command(args);
    if (command == "testbed") return svcbench::testbed_command(args);
    if (command == "run") return svcbench::run_command_line(args);
    if (command == "sweep") return svcbench::sweep_command(args);
    if (command == "compare") return svcbench::compare_command(args);
    std::fprintf(stderr, "svcbench: unknown command '%s'; see `svcbench --help`\n",
                 command.c_str());
    return 2;
  } catch (const svcbench::UsageError& e) {
    std::fprintf(stderr, "svcbench %s: %s\n", command.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    if (svcbench::interrupted()) {  // whatever failed, failed because of the signal
      std::fprintf(stderr, "svcbench %s: interrupted by signal %d; the node was torn down\n",
                   command.c_str(), svcbench::interrupt_signal());
      return 128 + svcbench::interrupt_signal();
    }
    // A missing tool, no root, bad input files, a rule load the kernel rejects: one line,
    // exit 2, and nothing half-written (writers are atomic, the node is torn down by guards).
    std::fprintf(stderr, "svcbench %s: %s\n", command.c_str(), e.what());
    return 2;
  }
}
