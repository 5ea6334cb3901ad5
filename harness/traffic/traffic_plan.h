// What the generator sends: template frames, each aimed at one flow (a Service frontend as
// the loaded KUBE-SERVICES chain dispatches it), built for a target position or taken from
// a pcap and mapped onto the Services.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "address_plan.h"
#include "packet_builder.h"
#include "pcap_file.h"
#include "service_dispatch.h"

namespace svcbench {

// Where in the loaded KUBE-SERVICES chain the traffic aims: one Service at its first, middle or
// last position, the Service with the most endpoints (the first of them in chain order: its
// KUBE-SVC chain is the longest a new flow walks), or every Service (uniform).
enum class TargetPosition { kFirst, kMiddle, kLast, kMostEndpoints, kUniform };
const char* to_string(TargetPosition target);
TargetPosition parse_target(const std::string& text);  // throws UsageError

enum class Phase { kNewFlow, kEstablished };
const char* to_string(Phase phase);  // "new-flow" | "established"

// Where a template's source tuple comes from. kPhase: the replay's phase decides (a fresh
// tuple per packet for new flows, one per flow slot when established). A stream mixes them
// per template: kFixed keeps the frame's own tuple (an established flow), kFresh takes a new
// one per packet from the measured clients' tuples, kFreshAside from the fifth client's, so
// probes never share a tuple with the background.
enum class SourceTuple : uint8_t { kPhase, kFixed, kFresh, kFreshAside };

struct TrafficTemplate {
  std::vector<uint8_t> frame;
  FrameLayout layout;
  uint32_t flow = 0;       // index into TrafficPlan::flows
  uint64_t offset_ns = 0;  // capture time relative to the first frame
  SourceTuple source = SourceTuple::kPhase;
};

struct TrafficPlan {
  std::vector<TrafficTemplate> templates;
  std::vector<ServiceDispatch> flows;  // a flow's endpoints are where DNAT may send it
};

// The Service frontends a target selects from the loaded dispatch table.
std::vector<ServiceDispatch> select_targets(const std::vector<ServiceDispatch>& loaded,
                                            TargetPosition target);

// The targets a point measures unless told otherwise: first, middle, last, uniform, and
// most-endpoints where the loaded Services differ in endpoints (an --endpoints-profile, a real
// cluster's set), so what a new flow pays per endpoint can be told from what it pays per rule.
std::vector<TargetPosition> standard_targets(const std::vector<ServiceDispatch>& loaded);

// One frame per selected Service: client 198.18.0.2 -> frontend, UDP datagram or TCP SYN
// with `payload_bytes` of payload (>= 32, room for the signature).
TrafficPlan plan_service_traffic(const std::vector<ServiceDispatch>& targets,
                                 const AddressPlan& plan, size_t payload_bytes = 32);

// Frames from a capture. UDP/TCP frames over IPv4 or IPv6 are kept (others are skipped, counted in
// `skipped`); each is grown to hold a signature. With `map_onto` non-empty, each flow of
// the capture is mapped onto one Service of the same family and protocol (destination rewritten,
// checksums fixed); otherwise frames must already target a Service in `known` or are sent
// unvalidated. Throws UsageError when nothing can be replayed.
TrafficPlan plan_pcap_traffic(const std::vector<CapturedFrame>& frames,
                              const std::vector<ServiceDispatch>& services, bool map_onto,
                              size_t* skipped = nullptr);

}  // namespace svcbench
