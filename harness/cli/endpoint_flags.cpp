// How many endpoints synthetic Services get (--endpoints, --endpoints-profile), shared by
// rules, run --during and sweep.
#include "command_line.h"
#include "atomic_file.h"
#include "errors.h"

namespace svcbench {

std::vector<OptionSpec> endpoint_option_specs() {
  return {
      {"endpoints", "E|MIN-MAX", "endpoints per Service (default 2): uniform:E or range:MIN-MAX"},
      {"endpoints-profile", "P",
       "uniform:E | range:MIN-MAX | cl2 (ClusterLoader2's load mix: 5, 30 and 250 endpoints) | "
       "file:PATH (written by svcbench profile --from FILE)"},
  };
}

EndpointProfile endpoint_profile_from(const CommandLine& cl) {
  if (cl.has("endpoints") && cl.has("endpoints-profile"))
    throw UsageError("give either --endpoints or --endpoints-profile, not both");
  if (cl.has("endpoints")) {
    auto p = EndpointProfile::parse(cl.get("endpoints"));
    if (!p || p->kind() == EndpointProfile::Kind::kCl2)
      throw UsageError("--endpoints takes E or MIN-MAX (0 to 1000), not '" + cl.get("endpoints") + "'");
    return *p;
  }
  if (!cl.has("endpoints-profile")) return EndpointProfile::uniform(2);
  const std::string text = cl.get("endpoints-profile");
  if (text.starts_with("file:")) {
    const std::string path = text.substr(5);
    try {
      return EndpointProfile::from_profile_text(read_file(path), path);
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
  }
  auto p = EndpointProfile::parse(text);
  if (!p)
    throw UsageError("--endpoints-profile takes uniform:E, range:MIN-MAX, cl2 or file:PATH "
                     "(E up to 1000), not '" + text + "'");
  return *p;
}

}  // namespace svcbench
