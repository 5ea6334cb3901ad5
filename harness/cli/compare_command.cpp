// svcbench compare A B: two runs' results side by side, per point, with a significance test.
#include <cstdio>
#include <filesystem>

#include "atomic_file.h"
#include "command_line.h"
#include "comparison_report.h"
#include "errors.h"

namespace svcbench {
namespace {

// A sweep's results directory, or a results.json itself (what `run --out FILE` writes).
nlohmann::json read_results(const std::string& where) {
  const std::string path =
      std::filesystem::is_regular_file(where) ? where : where + "/results.json";
  if (!std::filesystem::is_regular_file(path))
    throw UsageError(where +
                     " holds no results.json: give two results directories (a sweep's --out) or "
                     "results files (run --out)");
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("context"))
    throw UsageError(path + " is not an svcbench results.json");
  return j;
}

std::string family_option(const CommandLine& cl, const char* name) {
  const std::string f = cl.get(name);
  if (!f.empty() && f != "ipv4" && f != "ipv6")
    throw UsageError("--" + std::string(name) + " takes ipv4 or ipv6, not '" + f + "'");
  return f;
}

}  // namespace

int compare_command(const std::vector<std::string>& args) {
  const std::vector<OptionSpec> specs = {
      {"out", "DIR", "also write comparison.csv, .json, .svg and .html there"},
      {"alpha", "P", "significance level of the Mann-Whitney U test (default 0.05)"},
      {"min-effect", "F",
       "the smallest |B/A - 1| called a difference (default 0.1: runs of one quiet machine move "
       "points by up to ~10%)"},
      {"family-a", "F", "only A's ipv4 or ipv6 entries, against --family-b's of B (IPv4 vs IPv6)"},
      {"family-b", "F", "only B's ipv4 or ipv6 entries (with --family-a)"},
      {"force", "", "compare runs whose CPU model, node kind or emulation differ"},
  };
  CommandLine cl("svcbench compare", specs, args);
  if (cl.help()) {
    std::fputs(CommandLine::usage("svcbench compare A B [--out DIR] [--force]", specs).c_str(),
               stdout);
    std::fputs(
        "\nA and B are results directories, or results.json files as run --out writes them. Every\n"
        "point both measured (mode, family, Services, phase, target, update operation, capacity\n"
        "goal) is printed with A, B, B/A and a verdict: latency and updates by a two-sided\n"
        "Mann-Whitney U test over every packet's latency or every update run (as "
        "google/benchmark's\n"
        "compare.py), capacity by MLRsearch's bounds; a significant difference under --min-effect\n"
        "is 'small'. A and B may be the same directory with --family-a ipv4 --family-b ipv6 (a\n"
        "dual-stack run).\n",
        stdout);
    return 0;
  }
  if (cl.positional().size() != 2)
    throw UsageError("give two results directories (or files): svcbench compare A B");
  CompareOptions options;
  options.alpha = cl.get_number("alpha", 0.05, 1e-9, 0.5);
  options.min_effect = cl.get_number("min-effect", options.min_effect, 0, 10);
  options.family_a = family_option(cl, "family-a");
  options.family_b = family_option(cl, "family-b");
  if (options.family_a.empty() != options.family_b.empty())
    throw UsageError(
        "--family-a and --family-b go together (e.g. --family-a ipv4 --family-b ipv6)");
  const RunNames names{cl.positional()[0], cl.positional()[1]};
  const nlohmann::json a = read_results(names.a), b = read_results(names.b);
  const Comparison comparison = compare_runs(a, b, options);
  if (!comparison.blocking_differences.empty() && !cl.has("force")) {
    std::string fields;
    for (const auto& d : comparison.blocking_differences)
      fields += (fields.empty() ? "" : "; ") + d;
    throw UsageError("the runs were measured on different machines or nodes (" + fields +
                     "): their numbers measure that difference; add --force to compare anyway");
  }
  std::fputs(comparison_table(comparison, names).c_str(), stdout);
  if (cl.has("out")) {
    const std::string dir = cl.get("out");
    std::filesystem::create_directories(dir);
    write_file_atomically(dir + "/comparison.csv", comparison_csv(comparison));
    write_file_atomically(dir + "/comparison.json",
                          comparison_json(comparison, names).dump(1) + "\n");
    write_file_atomically(dir + "/comparison.svg", comparison_svg(comparison));
    write_file_atomically(dir + "/comparison.html", comparison_html(comparison, names));
  }
  return 0;
}

}  // namespace svcbench
