#include "command_line.h"

#include <charconv>
#include <sstream>

#include "errors.h"

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
