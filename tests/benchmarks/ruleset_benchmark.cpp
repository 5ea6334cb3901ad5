// Control-plane benchmarks: rendering kube-proxy's iptables payload against loading it with
// the real iptables-restore into a throwaway namespace, side by side in one run. The
// render_vs_load counter on the load rows is render time / load time at that size.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>

#include "command_runner.h"
#include "iptables_renderer.h"
#include "synthetic_services.h"

namespace svcbench {
namespace {

constexpr const char* kBenchNs = "svcb-bench";

ServiceSet services(int64_t n) {
  SyntheticSpec spec;
  spec.services = static_cast<size_t>(n);
  return make_synthetic_services(spec, AddressPlan{});
}

void BM_RenderIptables(benchmark::State& state) {
  const auto set = services(state.range(0));
  IptablesOptions options;
  options.cluster_cidr = AddressPlan{}.pods;
  size_t bytes = 0;
  for (auto _ : state) {
    auto payload = render_iptables(set, options);
    bytes = payload.text.size();
    benchmark::DoNotOptimize(payload.text.data());
  }
  state.counters["payload_bytes"] = static_cast<double>(bytes);
  state.counters["services"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_RenderIptables)->RangeMultiplier(10)->Range(10, 10000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_LoadIptables(benchmark::State& state, const char* restore_tool) {
  if (geteuid() != 0) {
    state.SkipWithError("needs root to create a namespace");
    return;
  }
  run_command({{"ip", "netns", "delete", kBenchNs}, "", "", true});
  run_checked({{"ip", "netns", "add", kBenchNs}, "", "", true}, "creating the benchmark namespace");
  const auto set = services(state.range(0));
  IptablesOptions options;
  options.cluster_cidr = AddressPlan{}.pods;
  const std::string empty = "*nat\nCOMMIT\n*filter\nCOMMIT\n";
  double render_total = 0, load_total = 0;
  for (auto _ : state) {
    run_checked({{restore_tool}, kBenchNs, empty, true}, "flushing");
    const auto t0 = std::chrono::steady_clock::now();
    auto payload = render_iptables(set, options);
    render_total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto r = run_checked({{restore_tool, "--noflush", "--counters"}, kBenchNs, payload.text, true}, "loading");
    load_total += r.seconds;
    state.SetIterationTime(r.seconds);  // the kernel load, timed around the real tool
  }
  run_command({{"ip", "netns", "delete", kBenchNs}, "", "", true});
  state.counters["render_vs_load"] = render_total / load_total;
  state.counters["services"] = static_cast<double>(state.range(0));
}
BENCHMARK_CAPTURE(BM_LoadIptables, legacy, "iptables-legacy-restore")
    ->RangeMultiplier(10)->Range(10, 10000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_LoadIptables, nft, "iptables-nft-restore")
    ->RangeMultiplier(10)->Range(10, 10000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace svcbench

BENCHMARK_MAIN();
