#include "pcap_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <tuple>

#include "errors.h"
#include "packet_builder.h"

namespace svcbench {

PcapReader::PcapReader(const std::string& path) : path_(path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw UsageError(path + ": " + strerror(errno));
  if (S_ISDIR(st.st_mode)) throw UsageError(path + " is a directory, not a pcap file");
  if (!S_ISREG(st.st_mode))
    throw UsageError(path + " is not a regular file; give a pcap or pcapng file");
  if (st.st_size == 0) throw UsageError(path + " is empty, not a pcap or pcapng file");
  char err[PCAP_ERRBUF_SIZE] = {};
  handle_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!handle_) throw UsageError(path + " is not a readable pcap/pcapng file: " + err);
}

PcapReader::~PcapReader() {
  if (handle_) pcap_close(handle_);
}

int PcapReader::link_type() const { return pcap_datalink(handle_); }

std::string PcapReader::link_type_name() const {
  const char* n = pcap_datalink_val_to_name(link_type());
  return n ? n : "DLT_" + std::to_string(link_type());
}

bool PcapReader::next(CapturedFrame& frame) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &header, &data);
  if (rc == PCAP_ERROR_BREAK) return false;
  if (rc != 1)
    throw UsageError(path_ + " is truncated or corrupt: " + std::string(pcap_geterr(handle_)));
  frame.timestamp_ns = static_cast<uint64_t>(header->ts.tv_sec) * 1'000'000'000ULL +
                       static_cast<uint64_t>(header->ts.tv_usec);  // ns precision requested
  frame.original_length = header->len;
  frame.bytes.assign(data, data + header->caplen);
  return true;
}

nlohmann::json inspect_pcap(const std::string& path) {
  PcapReader reader(path);
  uint64_t packets = 0, bytes = 0, ipv4 = 0, ipv6 = 0, tcp = 0, udp = 0, first = 0, last = 0;
  std::set<std::tuple<IpAddress, IpAddress, uint16_t, uint16_t, int>> flows;
  CapturedFrame f;
  const bool ethernet = reader.link_type() == DLT_EN10MB;
  while (reader.next(f)) {
    if (packets == 0) first = f.timestamp_ns;
    last = f.timestamp_ns;
    ++packets;
    bytes += f.original_length;
    if (!ethernet) continue;
    auto layout = parse_layout(f.bytes.data(), f.bytes.size());
    if (!layout) continue;
    (layout->family == IpFamily::kIpv6 ? ipv6 : ipv4)++;
    const uint8_t* frame = f.bytes.data();
    (layout->protocol == Protocol::kTcp ? tcp : udp)++;
    flows.insert({source_of(frame, *layout), destination_of(frame, *layout),
                  source_port_of(frame, *layout), destination_port_of(frame, *layout),
                  static_cast<int>(layout->protocol)});
  }
  return {{"file", path},
          {"link_type", reader.link_type_name()},
          {"packets", packets},
          {"bytes", bytes},
          {"duration_s", packets ? static_cast<double>(last - first) / 1e9 : 0.0},
          {"ipv4", ipv4},
          {"ipv6", ipv6},
          {"tcp", tcp},
          {"udp", udp},
          {"flows", flows.size()}};
}

std::vector<CapturedFrame> read_ethernet_frames(const std::string& path) {
  PcapReader reader(path);
  if (reader.link_type() != DLT_EN10MB)
    throw UsageError(path + " has link type " + reader.link_type_name() +
                     "; only Ethernet (EN10MB) captures can be replayed");
  std::vector<CapturedFrame> frames;
  CapturedFrame f;
  size_t replayable = 0;
  while (reader.next(f)) {
    if (f.bytes.size() > kMaxFrameBytes)
      throw UsageError(
          path + ": packet " + std::to_string(frames.size() + 1) + " is " +
          std::to_string(f.bytes.size()) + " bytes, larger than the " +
          std::to_string(kMaxFrameBytes) +
          " bytes the generator sends in one frame (jumbo or TSO-sized capture): capture with "
          "offloads off (ethtool -K IFACE gro off tso off) or drop such packets");
    if (parse_layout(f.bytes.data(), f.bytes.size())) ++replayable;
    frames.push_back(f);
  }
  if (frames.empty()) throw UsageError(path + " has no packets to replay");
  if (replayable == 0)
    throw UsageError(path + " has no UDP/TCP packet over IPv4 or IPv6 to replay (" +
                     std::to_string(frames.size()) +
                     " packets, all zero-length, cut short, non-IP or another protocol)");
  return frames;
}

void write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames,
                uint64_t gap_ns) {
  pcap_t* dead =
      pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
  const std::string tmp = path + ".partial." + std::to_string(getpid());
  pcap_dumper_t* dumper = pcap_dump_open(dead, tmp.c_str());
  if (!dumper) {
    std::string e = pcap_geterr(dead);
    pcap_close(dead);
    throw SetupError("cannot write " + path + ": " + e);
  }
  uint64_t t = 1'700'000'000ULL * 1'000'000'000ULL;
  for (const auto& frame : frames) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(t / 1'000'000'000ULL);
    h.ts.tv_usec = static_cast<suseconds_t>(t % 1'000'000'000ULL);  // ns in a nano pcap
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, frame.data());
    t += gap_ns;
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    throw SetupError("cannot write " + path + ": " + strerror(errno));
  }
}

}  // namespace svcbench
