#include "run_comparison.h"

#include <cmath>
#include <limits>
#include <map>

#include "latency_histogram.h"

namespace svcbench {
namespace {

using Json = nlohmann::json;

std::string text_of(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Context fields that change what is measured: a comparison across them measures the machines.
const char* const kBlockingContext[] = {"cpu", "node_kind", "emulated", "accelerator"};
const char* const kOtherContext[] = {"kernel", "guest_kernel",    "cores",
                                     "dpdk",   "iptables_legacy", "iptables_nft",
                                     "nft",    "ipvsadm",         "host"};
// The config's fields a reader should see beside the numbers when they differ.
const char* const kToldConfig[] = {
    "kube_proxy", "endpoints_profile", "ip_families", "packets_per_point",
    "rate_pps",   "update_repeats",    "order",       "quick"};

void differences(const Json& a, const Json& b, const char* const* begin, const char* const* end,
                 const std::string& prefix, std::vector<std::string>& out) {
  for (auto it = begin; it != end; ++it) {
    const Json va = a.value(*it, Json()), vb = b.value(*it, Json());
    if (va != vb) out.push_back(prefix + *it + ": " + text_of(va) + " vs " + text_of(vb));
  }
}

// The latency samples of an entry, as (lowest ns of its histogram sub-bucket, count): the
// stored histogram, else (runs from before it was stored) the CDF's steps.
GroupedSamples latency_samples(const Json& e) {
  GroupedSamples s;
  if (e.contains("latency_histogram")) {
    for (const auto& b : e["latency_histogram"])
      s.push_back({b[0].get<double>(), b[1].get<uint64_t>()});
  } else if (e.contains("latency_cdf")) {
    const double packets = e.value("packets_rx", 0.0);
    double before = 0;
    for (const auto& p : e["latency_cdf"]) {  // [top of sub-bucket, cumulative fraction]
      const auto top = p[0].get<uint64_t>();
      const double lowest =
          static_cast<double>(LatencyHistogram::lowest_value_at(LatencyHistogram::index_of(top)));
      const auto count =
          static_cast<uint64_t>(std::llround((p[1].get<double>() - before) * packets));
      if (count) s.push_back({lowest, count});
      before = p[1].get<double>();
    }
  }
  return s;
}

// An update's run times: the stored values, else what min/median/max pin down (up to 3 runs).
GroupedSamples update_samples(const Json& seconds) {
  GroupedSamples s;
  if (seconds.contains("values")) {
    for (const auto& v : seconds["values"]) s.push_back({v.get<double>(), 1});
    return s;
  }
  const uint64_t runs = seconds.value("runs", uint64_t{0});
  if (seconds["median"].is_null() || runs == 0 || runs > 3) return s;
  if (runs == 1) return {{seconds["median"].get<double>(), 1}};
  s.push_back({seconds["min"].get<double>(), 1});
  if (runs == 3) s.push_back({seconds["median"].get<double>(), 1});
  s.push_back({seconds["max"].get<double>(), 1});
  return s;
}

struct Side {
  Json entry;
  GroupedSamples samples;
};

// A difference that passed its test, unless it is smaller than what runs of one machine vary by.
void different(ComparedPoint& p, bool b_greater, double min_effect) {
  if (std::abs(p.ratio - 1) < min_effect) {
    p.verdict = "small";
    return;
  }
  p.verdict = b_greater ? (p.lower_is_better ? "B slower" : "B higher")
                        : (p.lower_is_better ? "B faster" : "B lower");
}

void tested(ComparedPoint& p, const GroupedSamples& a, const GroupedSamples& b, double alpha,
            double min_effect) {
  if (a.empty() || b.empty()) {
    p.test = "none";
    p.verdict = a.empty() && b.empty() ? "no samples"
                : a.empty()            ? "no samples in A"
                                       : "no samples in B";
    return;
  }
  p.test = "mann-whitney";
  p.u = mann_whitney_u(a, b);
  if (p.u->min_p >= alpha)
    p.verdict = "too few samples";
  else if (p.u->p_value >= alpha)
    p.verdict = "same";
  else
    different(p, grouped_median(b) > grouped_median(a), min_effect);
}

void set_values(ComparedPoint& p, double a, double b) {
  p.a = a;
  p.b = b;
  p.ratio = a != 0 ? b / a : 0;
}

std::string family_part(const Json& e, const CompareOptions& o) {
  return o.family_a.empty() ? " " + e.value("ip_family", std::string("ipv4")) : "";
}

bool in_family(const Json& e, const std::string& family) {
  return family.empty() || e.value("ip_family", std::string("ipv4")) == family;
}

// Every comparable point of one run, keyed, in the run's own order.
std::vector<std::pair<std::string, ComparedPoint>> points_of(const Json& doc,
                                                             const std::string& family,
                                                             const CompareOptions& o,
                                                             std::map<std::string, Side>& sides) {
  std::vector<std::pair<std::string, ComparedPoint>> out;
  auto add = [&](const std::string& kind, const std::string& point, const std::string& value,
                 bool lower_is_better, Json entry, GroupedSamples samples) {
    ComparedPoint p;
    p.kind = kind;
    p.point = point;
    p.value = value;
    p.lower_is_better = lower_is_better;
    const std::string key = kind + "|" + point + "|" + value;
    sides[key] = {std::move(entry), std::move(samples)};
    out.emplace_back(key, p);
  };
  // Each family's back-to-back baseline (results JSON: IPv4's under "baseline", IPv6's under
  // "baseline_ipv6"); IPv4's points keep their names of single-family runs.
  for (const std::string fam : {"ipv4", "ipv6"}) {
    if (!family.empty() && family != fam) continue;
    const std::string suffix = fam == "ipv4" ? "" : "_" + fam;
    const std::string named = fam == "ipv4" || !o.family_a.empty() ? "" : " " + fam;
    for (const char* which : {"baseline", "baseline_end"}) {
      const std::string key = which + suffix;
      if (doc.contains(key) && doc[key].is_object())
        add("baseline", (which == std::string("baseline") ? "start" : "end") + named,
            "p50 latency (ns)", true, doc[key], latency_samples(doc[key]));
    }
  }
  for (const auto& e : doc.value("latency", Json::array())) {
    if (!in_family(e, family)) continue;
    add("latency",
        e.value("mode", "") + family_part(e, o) + " " + std::to_string(e.value("services", 0)) +
            " " + e.value("phase", "") + " " + e.value("target", ""),
        "p50 latency (ns)", true, e, latency_samples(e));
  }
  for (const auto& e : doc.value("updates", Json::array())) {
    if (!in_family(e, family) || e["seconds"]["median"].is_null()) continue;
    add("update",
        e.value("mode", "") + family_part(e, o) + " " + std::to_string(e.value("services", 0)) +
            " " + e.value("operation", ""),
        "median (s)", true, e, update_samples(e["seconds"]));
    // The sync as kube-proxy waits for it (every step), where both runs timed the steps.
    if (e.contains("sync_seconds") && e["sync_seconds"].contains("values"))
      add("sync",
          e.value("mode", "") + family_part(e, o) + " " + std::to_string(e.value("services", 0)) +
              " " + e.value("operation", ""),
          "median (s)", true, e, update_samples(e["sync_seconds"]));
  }
  for (const auto& e : doc.value("throughput", Json::array())) {
    if (!in_family(e, family)) continue;
    for (const auto& [goal, g] : e["goals"].items())
      add("capacity",
          e.value("mode", "") + family_part(e, o) + " " + std::to_string(e.value("services", 0)) +
              " " + e.value("phase", "") + " " + e.value("target", "") + " " + goal,
          "conditional throughput (pps)", false, g, {});
  }
  return out;
}

double latency_p50(const Json& e) { return e["latency_ns"]["p50"].get<double>(); }

}  // namespace

Comparison compare_runs(const Json& a, const Json& b, const CompareOptions& o) {
  Comparison c;
  c.alpha = o.alpha;
  c.min_effect = o.min_effect;
  const Json ca = a.value("context", Json::object()), cb = b.value("context", Json::object());
  differences(ca, cb, std::begin(kBlockingContext), std::end(kBlockingContext), "",
              c.blocking_differences);
  differences(ca, cb, std::begin(kOtherContext), std::end(kOtherContext), "", c.other_differences);
  differences(a.value("config", Json::object()), b.value("config", Json::object()),
              std::begin(kToldConfig), std::end(kToldConfig), "config.", c.other_differences);

  std::map<std::string, Side> sides_a, sides_b;
  const auto in_a = points_of(a, o.family_a, o, sides_a);
  const auto in_b = points_of(b, o.family_b, o, sides_b);
  for (const auto& [key, point] : in_a) {
    if (!sides_b.count(key)) {
      c.only_in_a.push_back(point.kind + " " + point.point);
      continue;
    }
    ComparedPoint p = point;
    const Side &sa = sides_a[key], &sb = sides_b[key];
    if (p.kind == "capacity") {
      set_values(p, sa.entry["conditional_pps"].get<double>(),
                 sb.entry["conditional_pps"].get<double>());
      const double inf = std::numeric_limits<double>::infinity();
      auto upper = [&](const Json& g) {
        return g["upper_pps"].is_null() ? inf : g["upper_pps"].get<double>();
      };
      p.test = "bounds";
      const bool higher = sb.entry["lower_pps"].get<double>() > upper(sa.entry);
      const bool lower = upper(sb.entry) < sa.entry["lower_pps"].get<double>();
      if (higher || lower)
        different(p, higher, o.min_effect);
      else
        p.verdict = "same";
    } else {
      if (p.kind == "update" || p.kind == "sync") {
        const char* field = p.kind == "update" ? "seconds" : "sync_seconds";
        set_values(p, sa.entry[field]["median"].get<double>(), sb.entry[field]["median"].get<double>());
      }
      else
        set_values(p, latency_p50(sa.entry), latency_p50(sb.entry));
      tested(p, sa.samples, sb.samples, o.alpha, o.min_effect);
    }
    c.points.push_back(std::move(p));
  }
  for (const auto& [key, point] : in_b)
    if (!sides_a.count(key)) c.only_in_b.push_back(point.kind + " " + point.point);
  return c;
}

}  // namespace svcbench
