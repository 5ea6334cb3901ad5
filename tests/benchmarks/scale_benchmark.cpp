// svcbench's own cost at 50,000 Services with ClusterLoader2's endpoint mix (cl2): the work
// above the node that a sweep at that scale does per point — render each mode's rules, plan a
// partial sync, read the loaded rules back — and `svcbench rules` as a whole process (time and
// peak memory) side by side with what the real tool takes to load its output:
// iptables-legacy-restore into a throwaway namespace (iptables-legacy: the netns node may hold
// 50,000 Services of it; the nf_tables-backed modes not). rules_vs_load on the load row is the
// process's wall time over the load's; the target is well under 1.
// SVCBENCH names the svcbench binary (meson passes it).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>

#include "command_runner.h"
#include "iptables_dump.h"
#include "iptables_renderer.h"
#include "ipvs_renderer.h"
#include "nftables_renderer.h"
#include "sync_plan.h"
#include "synthetic_services.h"
#include "update_timing.h"

namespace svcbench {
namespace {

constexpr const char* kBenchNs = "svcb-bench-scale";
constexpr int64_t kServices = 50000;

SyntheticSpec cl2_spec(int64_t n) {
  SyntheticSpec spec;
  spec.services = static_cast<size_t>(n);
  spec.endpoints = EndpointProfile::cl2();
  return spec;
}

const ServiceSet& cl2_services() {
  static const ServiceSet set = make_synthetic_services(cl2_spec(kServices), AddressPlan{});
  return set;
}

IptablesOptions options() {
  IptablesOptions o;
  o.cluster_cidr = AddressPlan{}.pods;
  return o;
}

ServiceSet grown(const ServiceSet& base) {
  ServiceSet g = base;
  g.services.push_back(extra_service(base, cl2_spec(1), AddressPlan{}));
  return g;
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024;
}

void BM_Render(benchmark::State& state, const char* mode) {
  const auto& set = cl2_services();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text;
    if (std::string(mode) == "iptables")
      text = render_iptables(set, options()).text;
    else if (std::string(mode) == "nftables")
      text = nftables_full_sync(build_nftables(set, with_proxy_options<NftablesOptions>(options())), true);
    else
      text = render_ipvs(set, with_proxy_options<IpvsOptions>(options()));
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["payload_mib"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["process_peak_rss_mib"] = peak_rss_mib();
}
BENCHMARK_CAPTURE(BM_Render, iptables, "iptables")->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Render, nftables, "nftables")->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Render, ipvs, "ipvs")->Unit(benchmark::kMillisecond)->Iterations(3);

// Adding one Service to 50,000: what each mode's partial sync computes before its tool runs.
void BM_PartialSyncPlan(benchmark::State& state, const char* mode) {
  const auto& base = cl2_services();
  const auto more = grown(base);
  const auto nft_options = with_proxy_options<NftablesOptions>(options());
  const auto ipvs_options = with_proxy_options<IpvsOptions>(options());
  for (auto _ : state) {
    if (std::string(mode) == "iptables") {
      benchmark::DoNotOptimize(plan_partial_sync(base, more, options()).text.size());
    } else if (std::string(mode) == "nftables") {
      std::vector<std::string> stale;
      benchmark::DoNotOptimize(nftables_partial_sync(build_nftables(base, nft_options),
                                                     build_nftables(more, nft_options),
                                                     changed_services(base, more), &stale).size());
    } else {
      const auto from = build_ipvs(base, ipvs_options);
      benchmark::DoNotOptimize(ipvs_sync_calls(build_ipvs(more, ipvs_options), &from, "rr").ipset_change.size());
    }
  }
  state.counters["process_peak_rss_mib"] = peak_rss_mib();
}
BENCHMARK_CAPTURE(BM_PartialSyncPlan, iptables, "iptables")->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_PartialSyncPlan, nftables, "nftables")->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_PartialSyncPlan, ipvs, "ipvs")->Unit(benchmark::kMillisecond)->Iterations(3);

// `svcbench rules` as a user runs it, and the real tool loading what it printed; then the
// read-back a sweep does (iptables-legacy-save, parsed into the dispatch table).
void BM_RulesProcessAndLegacyLoad(benchmark::State& state) {
  const char* svcbench = std::getenv("SVCBENCH");
  if (!svcbench || geteuid() != 0) {
    state.SkipWithError("needs root and SVCBENCH (the svcbench binary)");
    return;
  }
  run_command({{"ip", "netns", "delete", kBenchNs}, "", "", true});
  run_checked({{"ip", "netns", "add", kBenchNs}, "", "", true}, "creating the benchmark namespace");
  const std::string empty = "*nat\nCOMMIT\n*filter\nCOMMIT\n";
  double rules_wall = 0, rules_rss = 0, load_wall = 0, save_wall = 0, read_wall = 0, payload = 0;
  size_t dispatched = 0;
  for (auto _ : state) {
    auto rules = run_checked({{svcbench, "rules", "--mode", "iptables", "--services",
                               std::to_string(kServices), "--endpoints-profile", "cl2"}, "", "", true},
                             "svcbench rules");
    rules_wall += rules.seconds;
    rules_rss = std::max(rules_rss, rules.max_rss_mib);
    payload = static_cast<double>(rules.out.size()) / (1 << 20);
    run_checked({{"iptables-legacy-restore"}, kBenchNs, empty, true}, "flushing");
    auto load = run_checked({{"iptables-legacy-restore", "--noflush", "--counters"}, kBenchNs, rules.out, true},
                            "loading");
    load_wall += load.seconds;
    state.SetIterationTime(load.seconds);
    auto save = run_checked({{"iptables-legacy-save"}, kBenchNs, "", true}, "reading back");
    save_wall += save.seconds;
    const auto t0 = std::chrono::steady_clock::now();
    dispatched = read_service_dispatch(save.out).size();
    read_wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  run_command({{"ip", "netns", "delete", kBenchNs}, "", "", true});
  const double runs = static_cast<double>(state.iterations());
  state.counters["rules_process_s"] = rules_wall / runs;
  state.counters["rules_process_peak_rss_mib"] = rules_rss;
  state.counters["legacy_restore_s"] = load_wall / runs;
  state.counters["rules_vs_load"] = rules_wall / load_wall;
  state.counters["save_s"] = save_wall / runs;
  state.counters["read_back_parse_s"] = read_wall / runs;
  state.counters["payload_mib"] = payload;
  state.counters["frontends_read_back"] = static_cast<double>(dispatched);
}
BENCHMARK(BM_RulesProcessAndLegacyLoad)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace svcbench

BENCHMARK_MAIN();
