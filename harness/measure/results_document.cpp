#include "results_document.h"

#include <cmath>
#include <filesystem>

#include <zlib.h>

#include "atomic_file.h"
#include "errors.h"
#include "results_json.h"

namespace svcbench {
namespace {

// Updates-under-load timelines (1 ms bins: most of a large run's bytes) live beside
// results.json, gzip-compressed, keyed by their entry; results.json says where.
constexpr const char* kTimelinesFile = "timelines.json.gz";

std::string timeline_key(const nlohmann::json& e) {
  return e.value("mode", "") + "/" + e.value("ip_family", "ipv4") + "/" +
         std::to_string(e.value("services", size_t{0})) + "/" + e.value("operation", "");
}

std::string gzip(const std::string& text) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  return out;
}

std::string gunzip(const std::string& data, const std::string& path) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::runtime_error("zlib: inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw UsageError(path + " is not a gzip file svcbench wrote");
  return out;
}

}  // namespace

ResultsDocument::ResultsDocument(std::string directory, nlohmann::json context,
                                 nlohmann::json config)
    : dir_(std::move(directory)) {
  doc_ = nlohmann::json::object();
  doc_["context"] = std::move(context);
  doc_["config"] = std::move(config);
  doc_["latency"] = nlohmann::json::array();
  doc_["updates"] = nlohmann::json::array();
  doc_["baseline"] = nullptr;
  doc_["progress"] = {{"state", "running"},
                      {"completed", nlohmann::json::array()},
                      {"failed", nlohmann::json::array()}};
}

ResultsDocument ResultsDocument::load(const std::string& directory) {
  const std::string path = directory + "/results.json";
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  auto list = [&](const char* key) {
    return j["progress"].contains(key) && j["progress"][key].is_array();
  };
  if (j.is_discarded() || !j.is_object() || !j.contains("context") || !j.contains("progress") ||
      !j["progress"].is_object() || !list("completed") || !list("failed") ||
      !j.contains("latency") || !j["latency"].is_array() || !j.contains("updates") ||
      !j["updates"].is_array())
    throw UsageError(path + " is not an svcbench results.json; cannot resume from it");
  const std::string side = directory + "/" + kTimelinesFile;
  if (std::filesystem::exists(side)) {
    const auto timelines = nlohmann::json::parse(gunzip(read_file(side), side), nullptr, false);
    if (timelines.is_discarded() || !timelines.is_object())
      throw UsageError(side + " is not svcbench's timelines; cannot resume from it");
    if (j.contains("convergence") && j["convergence"].is_array())
      for (auto& e : j["convergence"])
        if (e.contains("timeline") && e["timeline"].contains("key") &&
            timelines.contains(e["timeline"]["key"].get<std::string>()))
          e["timeline"] = timelines[e["timeline"]["key"].get<std::string>()];
  }
  ResultsDocument d(directory, j["context"], j["config"]);
  d.doc_ = std::move(j);
  return d;
}

void ResultsDocument::add(const PointResult& point) {
  for (const auto& u : point.updates) doc_["updates"].push_back(to_json(u));
  for (const auto& l : point.latency) doc_["latency"].push_back(to_json(l));
  for (const auto& t : point.throughput) doc_["throughput"].push_back(to_json(t));
  for (const auto& c : point.convergence) doc_["convergence"].push_back(to_json(c));
  if (point.kernel_warnings) doc_["kernel_warnings"].push_back(to_json(*point.kernel_warnings));
  if (point.limit_reached) doc_["limit_reached"].push_back(to_json(*point.limit_reached));
}

std::string baseline_key(const std::string& key, IpFamily family) {
  return family == IpFamily::kIpv4 ? key : key + "_" + family_name(family);
}

void ResultsDocument::set_baseline(const LatencyEntry& entry) {
  doc_[baseline_key("baseline", entry.ip_family)] = to_json(entry);
}

void ResultsDocument::set_baseline_end(const LatencyEntry& entry, double tolerance) {
  doc_[baseline_key("baseline_end", entry.ip_family)] = to_json(entry);
  const std::string start_key = baseline_key("baseline", entry.ip_family);
  if (!doc_.contains(start_key) || !doc_[start_key].is_object()) return;
  const auto& start = doc_[start_key];
  const double start_p50 = start["latency_ns"]["p50"].get<double>();
  const double end_p50 = entry.replay.latency.percentile(50);
  const double ratio = start_p50 > 0 ? end_p50 / start_p50 : 0;
  doc_[baseline_key("baseline_drift", entry.ip_family)] = {
      {"start_p50_ns", start_p50},
      {"end_p50_ns", end_p50},
      {"ratio", std::round(ratio * 1000) / 1000},
      {"tolerance", tolerance},
      {"flagged", ratio <= 0 || std::abs(ratio - 1) > tolerance}};
}

void ResultsDocument::set_warmup(const std::string& key, const WarmupResult& warmup) {
  doc_[key] = to_json(warmup);
}

void ResultsDocument::mark_completed(const std::string& point) {
  doc_["progress"]["completed"].push_back(point);
}

void ResultsDocument::mark_failed(const std::string& point, const std::string& error) {
  doc_["progress"]["failed"].push_back({{"point", point}, {"error", error}});
}

bool ResultsDocument::completed(const std::string& point) const {
  for (const auto& p : doc_["progress"]["completed"])
    if (p == point) return true;
  return false;
}

std::string point_name(const std::string& mode, IpFamily family, size_t services) {
  return mode + (family == IpFamily::kIpv6 ? "/ipv6/" : "/") + std::to_string(services);
}

void ResultsDocument::forget_point(const std::string& mode, IpFamily family, size_t services) {
  auto of_point = [&](const nlohmann::json& e) {
    return e.value("mode", "") == mode && e.value("services", size_t{0}) == services &&
           e.value("ip_family", "ipv4") == family_name(family);
  };
  for (const char* list :
       {"latency", "updates", "throughput", "convergence", "kernel_warnings", "limit_reached"}) {
    if (!doc_.contains(list)) continue;
    auto& entries = doc_[list];
    nlohmann::json kept = nlohmann::json::array();
    for (auto& e : entries)
      if (!of_point(e)) kept.push_back(std::move(e));
    entries = std::move(kept);
  }
  const std::string point = point_name(mode, family, services);
  auto& failed = doc_["progress"]["failed"];
  nlohmann::json still_failed = nlohmann::json::array();
  for (auto& f : failed)
    if (f.value("point", "") != point) still_failed.push_back(std::move(f));
  failed = std::move(still_failed);
}

void ResultsDocument::set_state(const std::string& state) {
  doc_["progress"]["state"] = state;
  if (state != "failed") doc_["progress"].erase("error");  // a resumed run is past it
}

namespace {
bool all_scalars(const nlohmann::json& a) {
  for (const auto& v : a)
    if (v.is_structured()) return false;
  return true;
}

// Rows of scalars ([ns, count] histogram buckets, CDF points): a whole array of them on one line.
bool all_scalar_rows(const nlohmann::json& a) {
  for (const auto& v : a)
    if (!v.is_array() || !all_scalars(v)) return false;
  return true;
}

void write_json(const nlohmann::json& j, int depth, std::string& out) {
  const std::string pad(static_cast<size_t>(depth) + 1, ' ');
  if (j.is_object() && !j.empty()) {
    out += "{\n";
    size_t i = 0;
    for (auto it = j.begin(); it != j.end(); ++it, ++i) {
      out += pad + nlohmann::json(it.key()).dump() + ": ";
      write_json(it.value(), depth + 1, out);
      out += i + 1 < j.size() ? ",\n" : "\n";
    }
    out += std::string(static_cast<size_t>(depth), ' ') + "}";
  } else if (j.is_array() && !j.empty() && !all_scalars(j) && !all_scalar_rows(j)) {
    out += "[\n";
    for (size_t i = 0; i < j.size(); ++i) {
      out += pad;
      write_json(j[i], depth + 1, out);
      out += i + 1 < j.size() ? ",\n" : "\n";
    }
    out += std::string(static_cast<size_t>(depth), ' ') + "]";
  } else {
    out += j.dump();  // scalars, arrays of scalars and of scalar rows, on one line
  }
}
}  // namespace

std::string ResultsDocument::text() const {
  std::string out;
  write_json(doc_, 0, out);
  return out + "\n";
}

void ResultsDocument::save() const {
  std::filesystem::create_directories(dir_);
  nlohmann::json slim = doc_;
  nlohmann::json timelines = nlohmann::json::object();
  if (slim.contains("convergence"))
    for (auto& e : slim["convergence"])
      if (e.contains("timeline") && !e["timeline"].contains("key")) {
        const std::string key = timeline_key(e);
        timelines[key] = std::move(e["timeline"]);
        e["timeline"] = {{"in", kTimelinesFile}, {"key", key}};
      }
  if (!timelines.empty())
    write_file_atomically(dir_ + "/" + kTimelinesFile, gzip(timelines.dump()));
  std::string out;
  write_json(slim, 0, out);
  write_file_atomically(dir_ + "/results.json", out + "\n");
  write_file_atomically(dir_ + "/summary.csv", summary_csv(doc_));
}

}  // namespace svcbench
