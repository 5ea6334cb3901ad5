#include "command_line.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "atomic_file.h"
#include "errors.h"
#include "mode_registry.h"
#include "number_text.h"
#include "node.h"
#include "vm_node.h"

namespace svcbench {

CommandLine::CommandLine(const std::string& command, const std::vector<OptionSpec>& specs,
                         const std::vector<std::string>& args)
    : command_(command) {
  auto find = [&](const std::string& name) -> const OptionSpec* {
    for (const auto& s : specs)
      if (s.name == name) return &s;
    return nullptr;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (saw_separator_) {
      passthrough_.push_back(a);
    } else if (a == "--") {
      saw_separator_ = true;
    } else if (a == "--help" || a == "-h") {
      help_ = true;
    } else if (a.starts_with("--")) {
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      const OptionSpec* spec = find(name);
      if (!spec)
        throw UsageError("unknown option --" + name + " for `" + command_ + "`; see `" + command_ +
                         " --help`");
      if (spec->value.empty()) {
        if (inline_value) throw UsageError("--" + name + " takes no value");
        values_[name] = "1";
      } else {
        if (!inline_value) {
          if (i + 1 >= args.size())
            throw UsageError("--" + name + " needs a value (" + spec->value + ")");
          value = args[++i];
        }
        values_[name] = value;
        all_values_[name].push_back(value);
      }
    } else {
      positional_.push_back(a);
    }
  }
}

std::string CommandLine::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

uint64_t CommandLine::get_count(const std::string& name, uint64_t fallback, uint64_t max) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size())
    throw UsageError("--" + name + " must be a whole number, not '" + text + "'");
  if (v > max)
    throw UsageError("--" + name + " " + text + " is absurd; the most is " +
                     number_text(static_cast<double>(max)));
  return v;
}

double CommandLine::get_number(const std::string& name, double fallback, double min,
                               double max) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max)
    throw UsageError("--" + name + " must be a number from " + number_text(min) + " to " +
                     number_text(max) + ", not '" + text + "'");
  return v;
}

std::vector<std::string> CommandLine::get_list(const std::string& name,
                                               const std::string& fallback) const {
  std::vector<std::string> out;
  std::stringstream ss(get(name, fallback));
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  if (out.empty()) throw UsageError("--" + name + " needs a comma-separated list");
  return out;
}

std::vector<std::string> CommandLine::get_all(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

void write_output(const CommandLine& cl, const std::string& text) {
  if (cl.has("out"))
    write_file_atomically(cl.get("out"), text);
  else
    std::fwrite(text.data(), 1, text.size(), stdout);
}

std::vector<OptionSpec> node_option_specs() {
  return {
      {"node", "KIND",
       "netns (default), uml (user-mode Linux guest: IPVS at near-native cost), vm (qemu guest, "
       "all four modes, emulated) or ssh (another machine)"},
      {"vm-image", "DIR", "with --node vm: kernel + initramfs (default build/vm)"},
      {"accept-host-risk", "",
       "with --node netns: allow nftables/iptables-nft above 10,000 Services in this machine's own "
       "kernel (it stalls for minutes there: soft lockups, RCU stalls)"},
      {"uml-kernel", "K",
       "with --node uml: 6.12 (default) or 6.1 (scripts/build-uml-kernel: every mode), debian "
       "(the user-mode-linux package: iptables-legacy, ipvs) or a UML kernel's path"},
      {"vm-silence", "S",
       "with --node uml or vm: give up on a guest silent this long (default 120 s)"},
      {"ssh-target", "USER@HOST", "with --node ssh: the machine under test (key auth, BatchMode)"},
      {"ssh-identity", "FILE", "with --node ssh: the private key (ssh -i)"},
      {"ssh-option", "KEY=VALUE", "with --node ssh: passed as ssh -o (repeatable)"},
      {"node-links", "IN,OUT",
       "with --node ssh: its links wired to the generator's TX and RX ports"},
  };
}

std::vector<OptionSpec> throughput_option_specs() {
  return {
      {"throughput", "",
       "search the node's capacity per phase x target: NDR and PDR by MLRsearch (RFC 9971, "
       "FD.io CSIT's defaults), latency at 10/50/90% of the PDR, node CPU per packet"},
      {"search-profile", "NAME", "with --throughput: csit (default) or rfc2544 (60 s trials, zero loss)"},
      {"goals", "NAME:LOSS,...",
       "with --throughput: loss-ratio goals instead of the profile's (e.g. ndr:0,pdr:0.005,p1:0.01)"},
      {"trial-duration", "S", "with --throughput: seconds per trial (csit 1, rfc2544 60)"},
      {"duration-sum", "S", "with --throughput: trial time that classifies a load (csit 21)"},
      {"exceed-ratio", "R", "with --throughput: share of bad trial time a lower bound may have (csit 0.5)"},
      {"relative-width", "W", "with --throughput: stop when (upper - lower) / upper <= W (0.005)"},
      {"min-load", "PPS", "with --throughput: the smallest load tried (default 1000)"},
      {"max-search-time", "S", "with --throughput: trial time per search before it stops (default 600)"},
  };
}

std::optional<ThroughputRequest> throughput_request_from(const CommandLine& cl) {
  if (!cl.has("throughput")) {
    for (const auto& spec : throughput_option_specs())
      if (cl.has(spec.name))
        throw UsageError("--" + spec.name + " tunes the capacity search: add --throughput");
    return std::nullopt;
  }
  ThroughputRequest r;
  const std::string profile = cl.get("search-profile", "csit");
  if (profile == "csit")
    r.profile = SearchProfile::csit(0);
  else if (profile == "rfc2544")
    r.profile = SearchProfile::rfc2544(0);
  else
    throw UsageError("--search-profile takes csit or rfc2544, not '" + profile + "'");
  const SearchGoal base = r.profile.goals.front();
  if (cl.has("goals")) {
    r.profile.name = "custom";
    r.profile.goals.clear();
    for (const auto& item : cl.get_list("goals", "")) {
      const auto colon = item.find(':');
      double loss = -1;
      if (colon != std::string::npos && colon > 0) {
        const std::string number = item.substr(colon + 1);
        auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), loss);
        if (ec != std::errc() || p != number.data() + number.size()) loss = -1;
      }
      if (loss < 0 || loss >= 1)
        throw UsageError("--goals takes NAME:LOSS_RATIO items like ndr:0,pdr:0.005, not '" +
                         item + "'");
      SearchGoal g = base;
      g.name = item.substr(0, colon);
      g.loss_ratio = loss;
      r.profile.goals.push_back(g);
    }
  }
  r.profile.trial_duration_s =
      cl.get_number("trial-duration", r.profile.trial_duration_s, 0.01, 3600);
  for (auto& g : r.profile.goals) {
    g.duration_sum_s = cl.get_number("duration-sum", g.duration_sum_s, 0.01, 86400);
    g.exceed_ratio = cl.get_number("exceed-ratio", g.exceed_ratio, 0, 0.99);
    g.relative_width = cl.get_number("relative-width", g.relative_width, 1e-6, 0.49);
    if (g.duration_sum_s < r.profile.trial_duration_s) g.duration_sum_s = r.profile.trial_duration_s;
  }
  r.profile.min_load_pps = cl.get_number("min-load", r.profile.min_load_pps, 1, 1e9);
  r.profile.max_search_s = cl.get_number("max-search-time", r.profile.max_search_s, 1, 86400);
  return r;
}

std::vector<OptionSpec> convergence_option_specs() {
  return {
      {"load-rate", "PPS",
       "background load while an update runs (default: half the PDR when --throughput ran, "
       "else the node's rate)"},
      {"probe-rate", "PPS", "probe packets per second aimed at what the update changes (default 1000)"},
      {"convergence-runs", "N", "runs per update operation under load (default 10; fewer once they took 20 s)"},
      {"keep-udp-conntrack", "",
       "do not delete removed endpoints' UDP conntrack entries after an update (kube-proxy does)"},
  };
}

std::optional<ConvergenceRequest> convergence_request_from(const CommandLine& cl,
                                                           const std::string& switch_name,
                                                           const std::string& operations) {
  if (!cl.has(switch_name)) {
    for (const auto& spec : convergence_option_specs())
      if (cl.has(spec.name))
        throw UsageError("--" + spec.name + " tunes updates under load: add --" + switch_name);
    return std::nullopt;
  }
  ConvergenceRequest r;
  if (operations != "all") {
    r.operations.clear();
    const auto& known = convergence_operations();
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    size_t at = 0;
    while (at <= operations.size()) {
      const size_t comma = operations.find(',', at);
      const std::string op = operations.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (std::find(known.begin(), known.end(), op) == known.end())
        throw UsageError("unknown update operation '" + op + "'; use all or a list of " + list);
      r.operations.push_back(op);
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  r.load_pps = cl.get_number("load-rate", 0, 0, 1e9);
  if (cl.has("load-rate") && r.load_pps < 1) throw UsageError("--load-rate must be at least 1 pps");
  r.probe_pps = cl.get_number("probe-rate", r.probe_pps, 10, 1e7);
  r.repeats = static_cast<int>(cl.get_count("convergence-runs", 10, 1000));
  if (r.repeats == 0) throw UsageError("--convergence-runs must be at least 1");
  r.udp_conntrack_cleanup = !cl.has("keep-udp-conntrack");
  return r;
}

std::vector<OptionSpec> program_option_specs() {
  return {
      {"program", "WHO",
       "svcbench (default: svcbench writes the rules as kube-proxy would) or external: "
       "--apply-hook makes each change and something else (kube-proxy) programs the node"},
      {"apply-hook", "CMD",
       "with --program external: run through sh -c for each change, with SVCBENCH_CHANGE, "
       "SVCBENCH_MANIFESTS, SVCBENCH_CHANGE_MANIFESTS, SVCBENCH_MODE, SVCBENCH_NODE_EXEC"},
      {"apply-limit", "S",
       "with --program external: seconds from the hook's start until the node's rules show the "
       "change, else an error (default 120)"},
  };
}

std::optional<ExternalProgram> external_program_from(const CommandLine& cl) {
  const std::string program = cl.get("program", "svcbench");
  if (program != "svcbench" && program != "external")
    throw UsageError("--program takes svcbench or external, not '" + program + "'");
  if (program == "svcbench") {
    if (cl.has("apply-hook") || cl.has("apply-limit"))
      throw UsageError("--apply-hook and --apply-limit go with --program external");
    return std::nullopt;
  }
  ExternalProgram p;
  p.apply_hook = cl.get("apply-hook");
  if (p.apply_hook.empty())
    throw UsageError("--program external needs --apply-hook CMD: the command that makes each change "
                     "(e.g. kubectl apply -f \"$SVCBENCH_CHANGE_MANIFESTS\")");
  p.apply_limit_seconds =
      cl.get_number("apply-limit", ExternalProgram::kDefaultApplyLimitSeconds, 1, 86'400);
  return p;
}

void drop_full_resync_for_external(ConvergenceRequest& request, bool named) {
  auto& ops = request.operations;
  if (std::find(ops.begin(), ops.end(), "full-resync") == ops.end()) return;
  if (named)
    throw UsageError("--program external cannot make a full resync (the programmer decides when it "
                     "runs one): drop full-resync from the operations");
  std::erase(ops, std::string("full-resync"));
}

void require_host_kernel_safe(const CommandLine& cl, const std::string& node_kind,
                              const std::vector<std::string>& modes, size_t services) {
  if (node_kind != "netns" || services <= kHostNfTablesServiceLimit || cl.has("accept-host-risk"))
    return;
  for (const auto& m : modes) {
    const auto& needs = find_mode(m).needs;
    if (std::find(needs.begin(), needs.end(), KernelFeature::kNfTablesIpv4) == needs.end()) continue;
    throw UsageError(std::to_string(services) + " Services in " + m + " on the netns node load "
                     "this machine's own kernel, which stalls for minutes above " +
                     std::to_string(kHostNfTablesServiceLimit) + " (soft lockups, RCU stalls): use "
                     "--node uml or --node ssh, or pass --accept-host-risk");
  }
}

NodeOptions node_options_from(const CommandLine& cl) {
  NodeOptions o;
  o.vm_image_dir = cl.get("vm-image", default_vm_image_dir());
  o.vm_silence_seconds =
      cl.get_number("vm-silence", NodeOptions::kDefaultVmSilenceSeconds, 2, 86400);
  o.uml_kernel = cl.get("uml-kernel", NodeOptions::kDefaultUmlKernel);
  if (o.uml_kernel.empty())
    throw UsageError("--uml-kernel takes 6.12, 6.1, debian or a UML kernel's path");
  o.ssh.target = cl.get("ssh-target");
  o.ssh.identity = cl.get("ssh-identity");
  for (const auto& opt : cl.get_all("ssh-option")) {
    if (opt.find('=') == std::string::npos || opt.starts_with("="))
      throw UsageError("--ssh-option takes KEY=VALUE (as ssh -o), not '" + opt + "'");
    o.ssh.options.push_back(opt);
  }
  if (cl.has("node-links")) {
    const auto links = cl.get_list("node-links", "");
    if (links.size() != 2 || links[0] == links[1])
      throw UsageError("--node-links takes two different links IN,OUT, not '" +
                       cl.get("node-links") + "'");
    o.ssh.in_link = links[0];
    o.ssh.out_link = links[1];
  }
  const bool ssh = cl.get("node", kDefaultNodeKind) == std::string("ssh");
  if (!ssh && (cl.has("ssh-target") || cl.has("ssh-identity") || cl.has("ssh-option") ||
               cl.has("node-links")))
    throw UsageError(
        "--ssh-target, --ssh-identity, --ssh-option and --node-links go with --node ssh");
  return o;
}

std::string CommandLine::usage(const std::string& synopsis, const std::vector<OptionSpec>& specs) {
  std::string out = "usage: " + synopsis + "\n\noptions:\n";
  for (const auto& s : specs) {
    std::string left = "  --" + s.name + (s.value.empty() ? "" : " " + s.value);
    if (left.size() < 30)
      left.resize(30, ' ');
    else
      left += "\n" + std::string(30, ' ');
    out += left + s.help + "\n";
  }
  out += "  --help                      this text\n";
  return out;
}

}  // namespace svcbench
