#include "endpoint_profile.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>
#include <stdexcept>

namespace svcbench {
namespace {

bool parse_count(std::string_view s, size_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// ClusterLoader2's load test, per 100 nodes (its "small", "medium" and "big" Services).
constexpr size_t kCl2Block = 162;     // Services per block
constexpr size_t kCl2Medium = 12;     // of them with 30 endpoints
constexpr size_t kCl2Small = 5, kCl2MediumEndpoints = 30, kCl2Big = 250;

size_t cl2_endpoints(size_t index) {
  const size_t p = index % kCl2Block;
  if (p == kCl2Block - 1) return kCl2Big;
  // The 12 medium ones spread evenly over the other 161 positions.
  const size_t others = kCl2Block - 1;
  return (p + 1) * kCl2Medium / others > p * kCl2Medium / others ? kCl2MediumEndpoints : kCl2Small;
}

}  // namespace

EndpointProfile EndpointProfile::uniform(size_t endpoints) { return range(endpoints, endpoints); }

EndpointProfile EndpointProfile::range(size_t min, size_t max) {
  EndpointProfile p;
  p.kind_ = min == max ? Kind::kUniform : Kind::kRange;
  p.min_ = min;
  p.max_ = max;
  return p;
}

EndpointProfile EndpointProfile::cl2() {
  EndpointProfile p;
  p.kind_ = Kind::kCl2;
  p.min_ = kCl2Small;
  p.max_ = kCl2Big;
  return p;
}

EndpointProfile EndpointProfile::histogram(std::vector<Bucket> buckets, std::string source) {
  std::map<size_t, uint64_t> merged;
  for (const auto& b : buckets)
    if (b.service_ports > 0) merged[b.endpoints] += b.service_ports;
  if (merged.empty()) throw std::runtime_error("the endpoint profile " + source + " counts no Service port");
  EndpointProfile p;
  p.kind_ = Kind::kHistogram;
  for (const auto& [endpoints, count] : merged) {
    p.buckets_.push_back({endpoints, count});
    p.total_ += count;
  }
  p.min_ = p.buckets_.front().endpoints;
  p.max_ = p.buckets_.back().endpoints;
  p.source_ = std::move(source);
  return p;
}

std::optional<EndpointProfile> EndpointProfile::parse(const std::string& text) {
  if (text == "cl2") return cl2();
  std::string_view body = text;
  const bool uniform = body.starts_with("uniform:"), ranged = body.starts_with("range:");
  if (uniform) body.remove_prefix(8);
  if (ranged) body.remove_prefix(6);
  const auto dash = body.find('-');
  size_t lo = 0, hi = 0;
  if (dash == std::string_view::npos) {
    if (ranged || !parse_count(body, lo)) return std::nullopt;
    hi = lo;
  } else if (uniform || !parse_count(body.substr(0, dash), lo) ||
             !parse_count(body.substr(dash + 1), hi)) {
    return std::nullopt;
  }
  if (lo > hi || hi > kMaxEndpoints) return std::nullopt;
  return range(lo, hi);
}

EndpointProfile EndpointProfile::from_profile_text(const std::string& text,
                                                   const std::string& source) {
  std::vector<Bucket> buckets;
  std::istringstream in(text);
  size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string a, b, extra;
    words >> a >> b >> extra;
    Bucket bucket;
    size_t count = 0;
    if (!parse_count(a, bucket.endpoints) || !parse_count(b, count) || !extra.empty() ||
        bucket.endpoints > kMaxEndpoints)
      throw std::runtime_error(source + " line " + std::to_string(number) + " is not \"ENDPOINTS SERVICE_PORTS\" (endpoints 0 to " +
                               std::to_string(kMaxEndpoints) + "): '" + line + "'; write it with svcbench profile --from FILE");
    bucket.service_ports = count;
    buckets.push_back(bucket);
  }
  return histogram(std::move(buckets), source);
}

EndpointProfile EndpointProfile::of_services(const ServiceSet& services, std::string source) {
  std::map<size_t, uint64_t> counts;
  for (const auto& s : services.services)
    for (const auto& p : s.ports) ++counts[p.endpoints.size()];
  std::vector<Bucket> buckets;
  for (const auto& [endpoints, n] : counts) buckets.push_back({endpoints, n});
  return histogram(std::move(buckets), std::move(source));
}

std::string EndpointProfile::profile_text() const {
  std::string out = "# svcbench endpoint profile: endpoints per Service port, Service ports";
  if (!source_.empty()) out += " (from " + source_ + ")";
  out += "\n";
  if (kind_ == Kind::kHistogram) {
    for (const auto& b : buckets_)
      out += std::to_string(b.endpoints) + " " + std::to_string(b.service_ports) + "\n";
  }
  return out;
}

size_t EndpointProfile::endpoints_for(size_t index, std::mt19937_64& rng) const {
  const uint64_t draw = rng();  // every profile takes one draw: the Service's later draws stay put
  switch (kind_) {
    case Kind::kUniform:
    case Kind::kRange:
      return min_ + static_cast<size_t>(draw % (max_ - min_ + 1));
    case Kind::kCl2:
      return cl2_endpoints(index);
    case Kind::kHistogram: {
      uint64_t pick = draw % total_;
      for (const auto& b : buckets_) {
        if (pick < b.service_ports) return b.endpoints;
        pick -= b.service_ports;
      }
      return buckets_.back().endpoints;
    }
  }
  return min_;
}

size_t EndpointProfile::smallest() const { return min_; }
size_t EndpointProfile::largest() const { return max_; }

double EndpointProfile::mean_for(size_t services) const {
  switch (kind_) {
    case Kind::kUniform:
    case Kind::kRange:
      return (static_cast<double>(min_) + static_cast<double>(max_)) / 2;
    case Kind::kCl2: {
      if (services == 0) return 0;
      const size_t blocks = services / kCl2Block;
      constexpr size_t kPerBlock =
          (kCl2Block - 1 - kCl2Medium) * kCl2Small + kCl2Medium * kCl2MediumEndpoints + kCl2Big;
      double total = static_cast<double>(blocks * kPerBlock);
      for (size_t i = blocks * kCl2Block; i < services; ++i)
        total += static_cast<double>(cl2_endpoints(i));
      return total / static_cast<double>(services);
    }
    case Kind::kHistogram: {
      double sum = 0;
      for (const auto& b : buckets_) sum += static_cast<double>(b.endpoints * b.service_ports);
      return sum / static_cast<double>(total_);
    }
  }
  return 0;
}

std::string EndpointProfile::name() const {
  switch (kind_) {
    case Kind::kUniform:
      return "uniform:" + std::to_string(min_);
    case Kind::kRange:
      return "range:" + std::to_string(min_) + "-" + std::to_string(max_);
    case Kind::kCl2:
      return "cl2";
    case Kind::kHistogram:
      return "file:" + source_;
  }
  return "";
}

}  // namespace svcbench
