// libFuzzer target: the pcap/pcapng reader and the traffic planner behind `svcbench run
// --pcap` and `svcbench pcap inspect`. Bad captures must end in UsageError, nothing else.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "errors.h"
#include "pcap_file.h"
#include "traffic_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("svcb-fuzz-pcap", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    (void)svcbench::inspect_pcap(path);
    auto frames = svcbench::read_ethernet_frames(path);
    svcbench::ServiceDispatch svc;
    svc.address = *svcbench::IpAddress::parse("198.19.0.1");
    svc.port = 53;
    svc.protocol = svcbench::Protocol::kUdp;
    (void)svcbench::plan_pcap_traffic(frames, {svc}, true);
  } catch (const svcbench::UsageError&) {
  }
  close(fd);
  return 0;
}
