#include "traffic_plan.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "errors.h"
#include "packet_signature.h"

namespace svcbench {

const char* to_string(TargetPosition t) {
  switch (t) {
    case TargetPosition::kFirst:
      return "first";
    case TargetPosition::kMiddle:
      return "middle";
    case TargetPosition::kLast:
      return "last";
    case TargetPosition::kMostEndpoints:
      return "most-endpoints";
    case TargetPosition::kUniform:
      return "uniform";
  }
  return "uniform";
}

TargetPosition parse_target(const std::string& text) {
  if (text == "first") return TargetPosition::kFirst;
  if (text == "middle") return TargetPosition::kMiddle;
  if (text == "last") return TargetPosition::kLast;
  if (text == "most-endpoints") return TargetPosition::kMostEndpoints;
  if (text == "uniform") return TargetPosition::kUniform;
  throw UsageError("unknown target '" + text +
                   "'; use first, middle, last, most-endpoints or uniform");
}

const char* to_string(Phase p) { return p == Phase::kNewFlow ? "new-flow" : "established"; }

namespace {
// What traffic can aim at: Services with endpoints, over UDP or TCP.
std::vector<ServiceDispatch> usable_targets(const std::vector<ServiceDispatch>& loaded) {
  std::vector<ServiceDispatch> usable;
  for (const auto& d : loaded)
    if (!d.endpoints.empty() && d.protocol != Protocol::kSctp) usable.push_back(d);
  return usable;
}
}  // namespace

std::vector<ServiceDispatch> select_targets(const std::vector<ServiceDispatch>& loaded,
                                            TargetPosition target) {
  std::vector<ServiceDispatch> usable = usable_targets(loaded);
  if (usable.empty())
    throw UsageError("the node's KUBE-SERVICES chain has no Service with endpoints to target");
  switch (target) {
    case TargetPosition::kFirst:
      return {usable.front()};
    case TargetPosition::kMiddle:
      return {usable[usable.size() / 2]};
    case TargetPosition::kLast:
      return {usable.back()};
    case TargetPosition::kMostEndpoints:
      // max_element keeps the first of equals: the earliest in the chain.
      return {*std::max_element(usable.begin(), usable.end(), [](const auto& a, const auto& b) {
        return a.endpoints.size() < b.endpoints.size();
      })};
    case TargetPosition::kUniform:
      return usable;
  }
  return usable;
}

std::vector<TargetPosition> standard_targets(const std::vector<ServiceDispatch>& loaded) {
  std::vector<TargetPosition> targets = {TargetPosition::kFirst, TargetPosition::kMiddle,
                                         TargetPosition::kLast, TargetPosition::kUniform};
  const auto usable = usable_targets(loaded);
  const bool endpoints_differ =
      std::any_of(usable.begin(), usable.end(), [&](const ServiceDispatch& d) {
        return d.endpoints.size() != usable.front().endpoints.size();
      });
  if (endpoints_differ) targets.insert(targets.end() - 1, TargetPosition::kMostEndpoints);
  return targets;
}

TrafficPlan plan_service_traffic(const std::vector<ServiceDispatch>& targets,
                                 const AddressPlan& plan, size_t payload_bytes) {
  TrafficPlan out;
  out.flows = targets;
  payload_bytes = std::max(payload_bytes, sizeof(PacketSignature));
  for (uint32_t i = 0; i < targets.size(); ++i) {
    FlowSpec spec;
    spec.src = plan.client_address(0);
    spec.dst = targets[i].address;
    spec.dst_port = targets[i].port;
    spec.protocol = targets[i].protocol;
    spec.payload_bytes = payload_bytes;
    TrafficTemplate t;
    t.frame = build_frame(spec, &t.layout);
    t.flow = i;
    out.templates.push_back(std::move(t));
  }
  return out;
}

TrafficPlan plan_pcap_traffic(const std::vector<CapturedFrame>& frames,
                              const std::vector<ServiceDispatch>& services, bool map_onto,
                              size_t* skipped) {
  TrafficPlan out;
  out.flows = services;
  std::map<std::tuple<IpAddress, uint16_t, int>, uint32_t> by_frontend;
  // Services a capture flow may be mapped onto: of its family and protocol.
  std::map<std::pair<IpFamily, Protocol>, std::vector<uint32_t>> pools;
  for (uint32_t i = 0; i < services.size(); ++i) {
    by_frontend[{services[i].address, services[i].port, static_cast<int>(services[i].protocol)}] =
        i;
    pools[{services[i].address.family, services[i].protocol}].push_back(i);
  }
  // A capture flow (5-tuple) keeps its Service for the whole replay.
  std::map<std::tuple<IpAddress, IpAddress, uint16_t, uint16_t, int>, uint32_t> flow_service;
  size_t dropped = 0;
  const uint64_t first_ts = frames.empty() ? 0 : frames.front().timestamp_ns;
  for (const auto& captured : frames) {
    auto layout = parse_layout(captured.bytes.data(), captured.bytes.size());
    if (!layout) {
      ++dropped;
      continue;
    }
    TrafficTemplate t;
    t.frame = captured.bytes;
    t.layout = *layout;
    if (!ensure_payload(t.frame, t.layout, sizeof(PacketSignature))) {
      ++dropped;
      continue;
    }
    t.offset_ns = captured.timestamp_ns >= first_ts ? captured.timestamp_ns - first_ts : 0;
    const IpAddress dst = destination_of(t.frame.data(), t.layout);
    const uint16_t dport = destination_port_of(t.frame.data(), t.layout);
    const int proto = static_cast<int>(t.layout.protocol);
    if (map_onto) {
      const auto pool_it = pools.find({t.layout.family, t.layout.protocol});
      if (pool_it == pools.end()) {
        ++dropped;
        continue;
      }
      const auto& pool = pool_it->second;
      auto key = std::make_tuple(source_of(t.frame.data(), t.layout), dst,
                                 source_port_of(t.frame.data(), t.layout), dport, proto);
      auto [it, fresh] = flow_service.try_emplace(key, 0);
      if (fresh) it->second = pool[flow_service.size() % pool.size()];
      t.flow = it->second;
      set_destination(t.frame.data(), t.layout, services[t.flow].address, services[t.flow].port);
    } else {
      auto it = by_frontend.find({dst, dport, proto});
      if (it == by_frontend.end()) {
        ++dropped;
        continue;
      }
      t.flow = it->second;
    }
    fix_checksums(t.frame.data(), t.frame.size(), t.layout);
    out.templates.push_back(std::move(t));
  }
  if (skipped) *skipped = dropped;
  if (out.templates.empty())
    throw UsageError(
        map_onto
            ? "the capture has no UDP/TCP packets of the Services' family that can be mapped "
                  "onto the node's Services"
            : "no packet of the capture targets a Service loaded on the node; use --map-services");
  return out;
}

}  // namespace svcbench
