// The DPDK traffic generator: paces a replay on the main lcore (TxPath) while the receive side
// (RxPath) runs on a second lcore when the EAL has one, else is polled between bursts; a
// warm-up under its own run id first, then the measured packets, then a drain for stragglers.
#pragma once

#include "dpdk_environment.h"
#include "replay.h"

namespace svcbench {

class TrafficGenerator : public PacketReplayer {
 public:
  // dst_mac: where frames are addressed (the node's ingress link, or the baseline peer).
  TrafficGenerator(DpdkEnvironment& env, uint16_t tx_port, uint16_t rx_port, MacAddress dst_mac,
                   const AddressPlan& plan);
  ReplayResult replay(const TrafficPlan& traffic, const ReplaySettings& settings,
                      bool validate_dnat) override;
  StreamLog stream(const TrafficPlan& traffic, const StreamSettings& settings,
                   const KeepSending& keep_sending) override;

 private:
  DpdkEnvironment& env_;
  uint16_t tx_port_, rx_port_;
  MacAddress src_mac_, dst_mac_;
  AddressPlan plan_;
  uint32_t run_id_ = 0;
};

}  // namespace svcbench
