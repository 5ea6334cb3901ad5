// results.json: the source of truth of a run, `svcbench run`'s and a sweep's. It starts with
// the context block, then the latency and update entries (schema in README.md), and is
// rewritten atomically after every sweep point so an interrupted run still leaves a file
// that parses.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "point_result.h"
#include "warm_up.h"

namespace svcbench {

// A sweep point's name in progress.completed/failed: "MODE/SERVICES", and for IPv6
// "MODE/ipv6/SERVICES".
std::string point_name(const std::string& mode, IpFamily family, size_t services);

// Where a family's baseline entries live: IPv4's under `key` ("baseline", "baseline_end",
// "baseline_drift"), IPv6's under key + "_ipv6".
std::string baseline_key(const std::string& key, IpFamily family);

class ResultsDocument {
 public:
  ResultsDocument(std::string directory, nlohmann::json context, nlohmann::json config);
  // Loads DIR/results.json of an earlier run (for --resume); throws UsageError.
  static ResultsDocument load(const std::string& directory);

  // A point's numbers (its update and latency entries, in that order).
  void add(const PointResult& point);
  // The back-to-back baseline at the start of a sweep, under its family's key (baseline_key).
  void set_baseline(const LatencyEntry& entry);
  // The baseline after a sweep's last point, and baseline_drift: its p50 over the start's (of
  // the same family), flagged when it moved by more than `tolerance` (a fraction) either way.
  void set_baseline_end(const LatencyEntry& entry, double tolerance);
  // "warmup" (before the start's baseline) or "warmup_end" (before the end's).
  void set_warmup(const std::string& key, const WarmupResult& warmup);
  void mark_completed(const std::string& point);
  void mark_failed(const std::string& point, const std::string& error);
  bool completed(const std::string& point) const;
  // Drops the entries of one point (mode, family, Service count) and its failure record:
  // a point's numbers are in the file only once it completed.
  void forget_point(const std::string& mode, IpFamily family, size_t services);
  // "setting up" (node not ready yet) | "running" | "finished" | "interrupted" | "failed";
  // any state but "failed" drops an earlier error.
  void set_state(const std::string& state);
  // Why a sweep stopped before its points (the node could not be set up): progress.error.
  void set_error(const std::string& error) { doc_["progress"]["error"] = error; }
  void set_context(nlohmann::json context) { doc_["context"] = std::move(context); }
  void add_context(const std::string& key, nlohmann::json value) { doc_["context"][key] = std::move(value); }
  const nlohmann::json& json() const { return doc_; }
  nlohmann::json& config() { return doc_["config"]; }

  // Writes results.json and summary.csv atomically.
  void save() const;
  // results.json's text (what `svcbench run` prints or writes to --out): one key per line,
  // arrays of plain values (timelines, CDF points) on one line each.
  std::string text() const;

 private:
  std::string dir_;
  nlohmann::json doc_;
};

}  // namespace svcbench
