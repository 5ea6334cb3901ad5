// svcbench profile --from FILE: a cluster's endpoints-per-Service-port histogram, the input of
// --endpoints-profile file:PATH.
#include <cstdio>

#include "atomic_file.h"
#include "command_line.h"
#include "errors.h"
#include "kubernetes_import.h"

namespace svcbench {

int profile_command(const std::vector<std::string>& args) {
  const std::vector<OptionSpec> specs = {
      {"from", "FILE", "a cluster's `kubectl get services,endpointslices -A -o json`"},
      {"out", "PATH", "write the profile here (default: stdout)"},
  };
  CommandLine cl("svcbench profile", specs, args);
  if (cl.help()) {
    std::fputs(CommandLine::usage("svcbench profile --from FILE [--out PATH]", specs).c_str(), stdout);
    std::fputs("\nCounts the endpoints kube-proxy is given per Service port (ready or not) and prints\n"
               "\"ENDPOINTS SERVICE_PORTS\" per line; `--endpoints-profile file:PATH` draws synthetic\n"
               "Services from it.\n",
               stdout);
    return 0;
  }
  if (!cl.positional().empty()) throw UsageError("unexpected argument '" + cl.positional()[0] + "'");
  if (!cl.has("from")) throw UsageError("say which cluster: --from FILE (kubectl get services,endpointslices -A -o json)");
  EndpointProfile profile;
  try {
    profile = EndpointProfile::of_services(import_kubernetes_list(read_file(cl.get("from")), {}),
                                           cl.get("from"));
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw UsageError(cl.get("from") + ": " + e.what());
  }
  write_output(cl, profile.profile_text());
  return 0;
}

}  // namespace svcbench
