// svcbench testbed up|down|status: the node under test, of any kind.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "command_line.h"
#include "errors.h"
#include "node.h"
#include "testbed.h"
#include "vm_node.h"

namespace svcbench {

int testbed_command(const std::vector<std::string>& args) {
  const std::vector<OptionSpec> specs = node_option_specs();
  CommandLine cl("svcbench testbed", specs, args);
  if (cl.help() || cl.positional().size() != 1) {
    std::fputs(
        CommandLine::usage("svcbench testbed up|down|status [--node netns|uml|vm|ssh] | exec -- COMMAND ARGS", specs)
            .c_str(),
        cl.help() ? stdout : stderr);
    return cl.help() ? 0 : 2;
  }
  const NodeOptions options = node_options_from(cl);
  auto node = make_node(cl.get("node", kDefaultNodeKind), options);  // an unknown kind: usage error
  const std::string action = cl.positional()[0];
  if (action == "up") {
    TestbedLock lock;
    node->up();
    const auto s = node->status();
    std::string namespaces;
    for (const auto& ns : s["namespaces"])
      namespaces += (namespaces.empty() ? "" : ", ") + ns.get<std::string>();
    const std::string accel = s.value("accelerator", "");
    std::fprintf(stderr, "svcbench: %s node up (%s%s)\n", node->kind().c_str(), namespaces.c_str(),
                 accel.empty() ? "" : ("; " + accel).c_str());
  } else if (action == "down") {
    if (!running_as_root()) throw SetupError("testbed down needs root: rerun with sudo");
    TestbedLock lock;
    remove_every_node();
  } else if (action == "exec") {
    // A command on the node that is up, as svcbench runs its tools there (an external
    // programmer's hook reaches a guest node this way): stdin passed on when it is not a
    // terminal, the tool's output and exit code as its own.
    if (!cl.has_passthrough() || cl.passthrough().empty())
      throw UsageError("testbed exec needs the command after --: svcbench testbed exec -- iptables-save");
    std::string input;
    if (!isatty(0)) {
      std::ostringstream in;
      in << std::cin.rdbuf();
      input = in.str();
    }
    auto up_node = current_node(options);
    const CommandResult r = up_node->run(cl.passthrough(), input);
    std::fwrite(r.out.data(), 1, r.out.size(), stdout);
    std::fwrite(r.err.data(), 1, r.err.size(), stderr);
    return r.exit_code;
  } else if (action == "status") {
    std::puts(testbed_status(options).dump(1).c_str());
  } else {
    throw UsageError("unknown testbed action '" + action + "'; use up, down, status or exec");
  }
  return 0;
}

}  // namespace svcbench
