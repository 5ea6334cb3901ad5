// svcbench pcap inspect FILE: JSON facts about a capture.
#include <cstdio>

#include "command_line.h"
#include "errors.h"
#include "pcap_file.h"

namespace svcbench {

int pcap_command(const std::vector<std::string>& args) {
  CommandLine cl("svcbench pcap", {}, args);
  if (cl.help() || cl.positional().empty()) {
    std::fputs(
        "usage: svcbench pcap inspect FILE\n\nPrints packets, bytes, link type, duration, "
        "IPv4/TCP/UDP counts and flows as JSON.\n",
        cl.help() ? stdout : stderr);
    return cl.help() ? 0 : 2;
  }
  if (cl.positional()[0] != "inspect" || cl.positional().size() != 2)
    throw UsageError("usage: svcbench pcap inspect FILE");
  std::puts(inspect_pcap(cl.positional()[1]).dump(1).c_str());
  return 0;
}

}  // namespace svcbench
