// Reading and writing captures through libpcap: pcap and pcapng, either byte order,
// microsecond or nanosecond timestamps. Errors are UsageError naming the file and problem.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace svcbench {

struct CapturedFrame {
  uint64_t timestamp_ns = 0;
  uint32_t original_length = 0;
  std::vector<uint8_t> bytes;
};

class PcapReader {
 public:
  explicit PcapReader(const std::string& path);  // throws UsageError
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  int link_type() const;               // DLT_*
  std::string link_type_name() const;  // "EN10MB"
  // False at the end of the file; throws UsageError on a truncated or corrupt record.
  bool next(CapturedFrame& frame);

 private:
  std::string path_;
  pcap_t* handle_ = nullptr;
};

// Facts about a capture: packets, bytes, link type, duration, IPv4/IPv6/TCP/UDP counts, flows.
nlohmann::json inspect_pcap(const std::string& path);

// Reads every frame; throws UsageError when the capture is empty, not Ethernet, has a frame
// larger than kMaxFrameBytes, or has no UDP/TCP frame over IPv4 or IPv6 at all (zero-length records, ARP only,
// ...).
std::vector<CapturedFrame> read_ethernet_frames(const std::string& path);

// Writes Ethernet frames as a nanosecond pcap, atomically. Throws SetupError.
void write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames,
                uint64_t gap_ns = 1000);

}  // namespace svcbench
