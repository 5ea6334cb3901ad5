// How many endpoints each synthetic Service port gets: the same for all (uniform:E), drawn
// from a range (range:MIN-MAX), Kubernetes' ClusterLoader2 load-test mix (cl2), or a histogram
// taken from a real cluster (file:PATH, written by `svcbench profile`). Service i's count
// depends only on i and the seed, never on how many Services there are, so a Service added
// by an update gets what it would have had in a larger set.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "service_model.h"

namespace svcbench {

class EndpointProfile {
 public:
  enum class Kind { kUniform, kRange, kCl2, kHistogram };
  struct Bucket {
    size_t endpoints = 0;
    uint64_t service_ports = 0;
    bool operator==(const Bucket&) const = default;
  };
  static constexpr size_t kMaxEndpoints = 1000;  // per Service port

  static EndpointProfile uniform(size_t endpoints);
  static EndpointProfile range(size_t min, size_t max);
  // ClusterLoader2's load test per 100 nodes: 149 Services with 5 endpoints, 12 with 30, 1 with
  // 250, repeated every 162 Services with the 30s spread evenly and the 250 last.
  static EndpointProfile cl2();
  // A histogram: `source` names where it came from (the file), kept for the context.
  static EndpointProfile histogram(std::vector<Bucket> buckets, std::string source);

  // "uniform:E", "E", "range:MIN-MAX", "MIN-MAX" or "cl2"; nullopt otherwise (file: needs the
  // file's text: from_profile_text).
  static std::optional<EndpointProfile> parse(const std::string& text);
  // What `svcbench profile` writes: "# ..." comments, then "ENDPOINTS SERVICE_PORTS" per line.
  // Throws std::runtime_error naming the bad line.
  static EndpointProfile from_profile_text(const std::string& text, const std::string& source);
  // The histogram of a set's Service ports (every endpoint kube-proxy is given, ready or not),
  // and its text form.
  static EndpointProfile of_services(const ServiceSet& services, std::string source);
  std::string profile_text() const;

  Kind kind() const { return kind_; }
  // Endpoints of synthetic Service `index`; `rng` is that Service's own generator.
  size_t endpoints_for(size_t index, std::mt19937_64& rng) const;
  size_t smallest() const;
  size_t largest() const;
  // The mean over Services 0..n-1 (exact for uniform and cl2, expected for the others).
  double mean_for(size_t services) const;
  const std::vector<Bucket>& buckets() const { return buckets_; }
  // "uniform:2", "range:1-5", "cl2", "file:PATH".
  std::string name() const;
  bool operator==(const EndpointProfile&) const = default;

 private:
  Kind kind_ = Kind::kUniform;
  size_t min_ = 2, max_ = 2;
  std::vector<Bucket> buckets_;  // histogram
  uint64_t total_ = 0;           // histogram: Service ports counted
  std::string source_;
};

}  // namespace svcbench
