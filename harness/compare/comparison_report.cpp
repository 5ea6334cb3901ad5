#include "comparison_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "number_text.h"

namespace svcbench {
namespace {

std::string printf_string(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string p_text(const ComparedPoint& p) {
  if (!p.u) return "";
  return p.u->p_value < 0.001 ? "<0.001" : printf_string("%.3f", p.u->p_value);
}

std::string ratio_text(const ComparedPoint& p) {
  return p.a != 0 ? printf_string(p.ratio >= 10 ? "%.1fx" : "%.2fx", p.ratio) : "";
}

bool better(const ComparedPoint& p) { return p.verdict == "B faster" || p.verdict == "B higher"; }
bool worse(const ComparedPoint& p) { return p.verdict == "B slower" || p.verdict == "B lower"; }

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string csv_field(const std::string& s) {
  return s.find_first_of(",\"") == std::string::npos ? s : "\"" + s + "\"";
}

// "12 B faster, 3 B slower, 40 same, ..."
std::string verdict_counts(const Comparison& c) {
  std::map<std::string, int> counts;
  for (const auto& p : c.points) ++counts[p.verdict];
  std::string out;
  for (const char* v : {"B faster", "B slower", "B higher", "B lower", "small", "same",
                        "too few samples", "no samples", "no samples in A", "no samples in B"})
    if (counts[v]) out += (out.empty() ? "" : ", ") + std::to_string(counts[v]) + " " + v;
  return out.empty() ? "no point both runs measured" : out;
}

}  // namespace

std::string format_compared_value(const ComparedPoint& p, double v) {
  if (p.kind == "capacity") return grouped_integer(v) + " pps";
  if (p.kind == "update" || p.kind == "sync") return printf_string(v < 10 ? "%.3f s" : "%.1f s", v);
  return printf_string(v < 100'000 ? "%.1f us" : "%.0f us", v / 1000);
}

std::string comparison_table(const Comparison& c, const RunNames& names) {
  std::ostringstream out;
  out << "A: " << names.a << "\nB: " << names.b << "\n";
  for (const auto& d : c.other_differences) out << "differs: " << d << "\n";
  for (const auto& d : c.blocking_differences) out << "differs (--force): " << d << "\n";
  size_t width = 5;
  for (const auto& p : c.points) width = std::max(width, p.point.size());
  char line[512];
  std::snprintf(line, sizeof line, "%-9s %-*s %12s %12s %8s %7s  %s\n", "kind",
                static_cast<int>(width), "point", "A", "B", "B/A", "p", "verdict");
  out << line;
  for (const auto& p : c.points) {
    std::snprintf(line, sizeof line, "%-9s %-*s %12s %12s %8s %7s  %s\n", p.kind.c_str(),
                  static_cast<int>(width), p.point.c_str(), format_compared_value(p, p.a).c_str(),
                  format_compared_value(p, p.b).c_str(), ratio_text(p).c_str(), p_text(p).c_str(),
                  p.verdict.c_str());
    out << line;
  }
  out << c.points.size() << " points (Mann-Whitney U, two-sided, alpha " << c.alpha
      << "; capacity: MLRsearch bounds; a difference under " << std::lround(c.min_effect * 100)
      << "% is small): " << verdict_counts(c) << "\n";
  if (!c.only_in_a.empty()) out << c.only_in_a.size() << " points only in A\n";
  if (!c.only_in_b.empty()) out << c.only_in_b.size() << " points only in B\n";
  return out.str();
}

std::string comparison_csv(const Comparison& c) {
  std::ostringstream out;
  out << "kind,point,value,a,b,ratio,test,p_value,n_a,n_b,verdict\n";
  for (const auto& p : c.points) {
    out << p.kind << "," << csv_field(p.point) << "," << csv_field(p.value) << "," << p.a << ","
        << p.b << "," << p.ratio << "," << p.test << ",";
    if (p.u)
      out << p.u->p_value << "," << p.u->n_a << "," << p.u->n_b;
    else
      out << ",,";
    out << "," << p.verdict << "\n";
  }
  return out.str();
}

nlohmann::json comparison_json(const Comparison& c, const RunNames& names) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : c.points) {
    nlohmann::json j = {
        {"kind", p.kind}, {"point", p.point}, {"value", p.value}, {"a", p.a},
        {"b", p.b},       {"ratio", p.ratio}, {"test", p.test},   {"verdict", p.verdict}};
    if (p.u)
      j["mann_whitney"] = {{"p_value", p.u->p_value}, {"u_a", p.u->u_a},     {"n_a", p.u->n_a},
                           {"n_b", p.u->n_b},         {"exact", p.u->exact}, {"min_p", p.u->min_p}};
    points.push_back(std::move(j));
  }
  return {{"a", names.a},
          {"b", names.b},
          {"alpha", c.alpha},
          {"min_effect", c.min_effect},
          {"context_differences", c.other_differences},
          {"blocking_context_differences", c.blocking_differences},
          {"summary", verdict_counts(c)},
          {"points", points},
          {"only_in_a", c.only_in_a},
          {"only_in_b", c.only_in_b}};
}

std::string comparison_svg(const Comparison& c) {
  // One row per point: a bar from 1x to B/A on a log2 axis from 1/8x to 8x (clamped, marked).
  const int row = 14, label_w = 420, plot_w = 480, top = 40;
  const int height = top + row * static_cast<int>(c.points.size()) + 30;
  const double span = 3;  // log2 of 8x
  auto x_of = [&](double ratio) {
    const double l = std::clamp(std::log2(ratio > 0 ? ratio : 1), -span, span);
    return label_w + (l + span) / (2 * span) * plot_w;
  };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << label_w + plot_w + 120
    << "\" height=\"" << height << "\" font-family=\"sans-serif\" font-size=\"10\">\n";
  s << "<text x=\"" << label_w
    << "\" y=\"14\" font-size=\"12\">B/A per point (log scale; green: B "
       "better, red: B worse, grey: not significant or untested)</text>\n";
  for (double r : {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0}) {
    const double x = x_of(r);
    s << "<line x1=\"" << x << "\" y1=\"" << top - 8 << "\" x2=\"" << x << "\" y2=\"" << height - 25
      << "\" stroke=\"" << (r == 1.0 ? "#000" : "#ddd") << "\"/>\n"
      << "<text x=\"" << x << "\" y=\"" << top - 12 << "\" text-anchor=\"middle\">"
      << printf_string(r < 1 ? "%.3gx" : "%.0fx", r) << "</text>\n";
  }
  for (size_t i = 0; i < c.points.size(); ++i) {
    const auto& p = c.points[i];
    const int y = top + row * static_cast<int>(i);
    const double x0 = x_of(1), x1 = x_of(p.ratio);
    const char* colour = better(p) ? "#2a2" : worse(p) ? "#c22" : "#aaa";
    s << "<text x=\"" << label_w - 6 << "\" y=\"" << y + 10 << "\" text-anchor=\"end\">"
      << html_escape(p.kind + " " + p.point) << "</text>\n"
      << "<rect x=\"" << std::min(x0, x1) << "\" y=\"" << y + 2 << "\" width=\""
      << std::max(1.0, std::abs(x1 - x0)) << "\" height=\"" << row - 4 << "\" fill=\"" << colour
      << "\"/>\n"
      << "<text x=\"" << label_w + plot_w + 6 << "\" y=\"" << y + 10 << "\">" << ratio_text(p)
      << (p.ratio > 8 || (p.ratio > 0 && p.ratio < 0.125) ? " (off scale)" : "") << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

std::string comparison_html(const Comparison& c, const RunNames& names) {
  std::ostringstream h;
  h << "<!doctype html><html><head><meta charset=\"utf-8\"><title>svcbench compare</title>"
       "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:"
       "collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
       "td:nth-child(2){text-align:left}.better{color:#070}.worse{color:#b00}</style></head><body>"
    << "<h1>svcbench compare</h1><p>A: <code>" << html_escape(names.a) << "</code><br>B: <code>"
    << html_escape(names.b) << "</code></p><p>" << c.points.size()
    << " points both runs measured: " << html_escape(verdict_counts(c))
    << ". Latency and updates: Mann-Whitney U, two-sided, over every packet's latency or every "
       "update run, significance level "
    << c.alpha << " (as google/benchmark's compare.py); \"small\": significant, but B/A within ±"
    << std::lround(c.min_effect * 100)
    << "% — less than one machine's points move between runs, which no test within one run's "
       "samples sees; \"too few samples\": no outcome of that many runs could be significant. "
       "Capacity: B differs when its MLRsearch bounds do not overlap A's.</p>";
  if (!c.other_differences.empty() || !c.blocking_differences.empty()) {
    h << "<h2>What differs between the runs</h2><ul>";
    for (const auto& d : c.blocking_differences)
      h << "<li><b>" << html_escape(d) << "</b> (compared with --force)</li>";
    for (const auto& d : c.other_differences) h << "<li>" << html_escape(d) << "</li>";
    h << "</ul>";
  }
  h << "<h2>B/A</h2><img src=\"comparison.svg\" alt=\"B/A per point\"><h2>Points</h2><table><tr>"
       "<th>kind</th><th>point</th><th>A</th><th>B</th><th>B/A</th><th>p</th><th>n A/B</th>"
       "<th>verdict</th></tr>";
  for (const auto& p : c.points)
    h << "<tr class=\""
      << (better(p)  ? "better"
          : worse(p) ? "worse"
                     : "")
      << "\"><td>" << p.kind << "</td><td>" << html_escape(p.point) << "</td><td>"
      << format_compared_value(p, p.a) << "</td><td>" << format_compared_value(p, p.b)
      << "</td><td>" << ratio_text(p) << "</td><td>" << p_text(p) << "</td><td>"
      << (p.u ? std::to_string(p.u->n_a) + "/" + std::to_string(p.u->n_b) : "") << "</td><td>"
      << html_escape(p.verdict) << "</td></tr>";
  h << "</table>";
  for (const auto* only : {&c.only_in_a, &c.only_in_b}) {
    if (only->empty()) continue;
    h << "<h2>Only in " << (only == &c.only_in_a ? "A" : "B") << "</h2><ul>";
    for (const auto& p : *only) h << "<li>" << html_escape(p) << "</li>";
    h << "</ul>";
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace svcbench
