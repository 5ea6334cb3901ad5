#include "command_line.h"

#include <charconv>
#include <sstream>

#include "errors.h"
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
    throw UsageError("--" + name + " " + text + " is absurd; the most is " + std::to_string(max));
  return v;
}

double CommandLine::get_number(const std::string& name, double fallback, double min,
                               double max) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max)
    throw UsageError("--" + name + " must be a number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", not '" + text + "'");
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

std::vector<OptionSpec> node_option_specs() {
  return {
      {"node", "KIND",
       "netns (default), uml (user-mode Linux guest: IPVS at near-native cost), vm (qemu guest, "
       "all four modes, emulated) or ssh (another machine)"},
      {"vm-image", "DIR", "with --node vm: kernel + initramfs (default build/vm)"},
      {"vm-silence", "S",
       "with --node uml or vm: give up on a guest silent this long (default 120 s)"},
      {"ssh-target", "USER@HOST", "with --node ssh: the machine under test (key auth, BatchMode)"},
      {"ssh-identity", "FILE", "with --node ssh: the private key (ssh -i)"},
      {"ssh-option", "KEY=VALUE", "with --node ssh: passed as ssh -o (repeatable)"},
      {"node-links", "IN,OUT",
       "with --node ssh: its links wired to the generator's TX and RX ports"},
  };
}

NodeOptions node_options_from(const CommandLine& cl) {
  NodeOptions o;
  o.vm_image_dir = cl.get("vm-image", default_vm_image_dir());
  o.vm_silence_seconds =
      cl.get_number("vm-silence", NodeOptions::kDefaultVmSilenceSeconds, 2, 86400);
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
