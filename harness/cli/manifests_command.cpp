// svcbench manifests: the synthetic Services as Kubernetes objects, so a user creates on a real
// cluster exactly what svcbench measures (and `rules --from` that List prints what `rules
// --services N` with the same flags prints).
#include <cstdio>

#include "command_line.h"
#include "errors.h"
#include "kubernetes_manifests.h"

namespace svcbench {

int manifests_command(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = synthetic_option_specs();
  specs.push_back({"ip-family", "F", "ipv4 (default) or ipv6: the Services' family and address plan"});
  specs.push_back({"out", "PATH", "write the List here (default: stdout)"});
  CommandLine cl("svcbench manifests", specs, args);
  if (cl.help()) {
    std::fputs(CommandLine::usage("svcbench manifests --services N [endpoints] [--namespace NS] [--out PATH]", specs)
                   .c_str(),
               stdout);
    std::fputs("\nWrites a List for `kubectl apply -f`: selector-less Services (ClusterIPs from svcbench's\n"
               "plan: the cluster's Service CIDR must hold them) and one EndpointSlice per Service port,\n"
               "managed by svcbench. `svcbench rules --from` it prints what `svcbench rules --services N`\n"
               "with the same flags prints.\n",
               stdout);
    return 0;
  }
  if (!cl.positional().empty()) throw UsageError("unexpected argument '" + cl.positional()[0] + "'");
  if (!cl.has("services")) throw UsageError("say how many Services: --services N");
  const auto families = ip_families_from(cl);
  require_one_family(families);
  const IpFamily family = families.front();
  const std::string text =
      kubernetes_manifests(make_synthetic_services(synthetic_spec_from(cl), AddressPlan::of(family)), family);
  write_output(cl, text);
  return 0;
}

}  // namespace svcbench
