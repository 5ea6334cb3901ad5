#!/usr/bin/python3
"""Plots and report for one svcbench run: reads DIR/results.json, writes PNG and SVG plots
and DIR/report.html that embeds them with the numbers and the run's context."""
import html
import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PHASES = ("new-flow", "established")
TARGETS = ("first", "middle", "last", "uniform")
OPERATIONS = ("initial-load", "full-resync", "add-service", "remove-service", "change-endpoints")


def by_key(entries, *keys):
    out = {}
    for e in entries:
        out.setdefault(tuple(e.get(k) for k in keys), []).append(e)
    return out


def modes_of(doc):
    seen = []
    for e in doc["latency"] + doc["updates"]:
        if e["mode"] not in seen:
            seen.append(e["mode"])
    return seen


def save(fig, out, name):
    for ext in ("png", "svg"):
        fig.savefig(out / f"{name}.{ext}", dpi=110, bbox_inches="tight")
    plt.close(fig)


def emulated_note(doc):
    return " (emulated node: compare ratios only)" if doc["context"].get("emulated") else ""


def plot_latency(doc, out):
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    groups = by_key(doc["latency"], "mode", "phase", "target")
    colors = {m: f"C{i}" for i, m in enumerate(modes_of(doc))}  # colour: mode; line style: target
    saturated_labelled = {ax: False for ax in axes}
    for ax, phase in zip(axes, PHASES):
        for mode in modes_of(doc):
            for target, style in (("last", "-"), ("uniform", "--"), ("first", ":")):
                rows = sorted(groups.get((mode, phase, target), []), key=lambda e: e["services"])
                if not rows:
                    continue
                xs = [r["services"] for r in rows]
                ax.plot(xs, [r["latency_ns"]["p50"] / 1000 for r in rows], style, marker="o",
                        color=colors[mode], label=f"{mode} {target} p50")
                ax.plot(xs, [r["latency_ns"]["p99"] / 1000 for r in rows], style, marker="x",
                        color=colors[mode], alpha=0.3, label=f"{mode} {target} p99")
                hot = [r for r in rows if r.get("saturated")]
                if hot:  # the node fell behind the offered rate: these p50s are queueing
                    ax.scatter([r["services"] for r in hot], [r["latency_ns"]["p50"] / 1000 for r in hot],
                               s=140, facecolors="none", edgecolors="red", linewidths=1.5, zorder=5,
                               label="saturated" if not saturated_labelled[ax] else None)
                    saturated_labelled[ax] = True
        base = doc.get("baseline")
        if base:
            ax.axhline(base["latency_ns"]["p50"] / 1000, color="grey", lw=0.8, label="back-to-back p50")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Services")
        ax.set_title(f"{phase} latency{emulated_note(doc)}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency (µs)")
    axes[1].legend(fontsize=7, loc="upper left", ncol=1)
    save(fig, out, "latency_vs_services")


def plot_updates(doc, out):
    fig, axes = plt.subplots(1, len(OPERATIONS), figsize=(17, 4), sharey=False)
    groups = by_key(doc["updates"], "mode", "operation")
    for ax, op in zip(axes, OPERATIONS):
        for mode in modes_of(doc):
            rows = sorted(groups.get((mode, op), []), key=lambda e: e["services"])
            rows = [r for r in rows if r["seconds"]["median"] is not None]
            if not rows:
                continue
            xs = [r["services"] for r in rows]
            med = [r["seconds"]["median"] * 1000 for r in rows]
            lo = [m - r["seconds"]["min"] * 1000 for m, r in zip(med, rows)]
            hi = [r["seconds"]["max"] * 1000 - m for m, r in zip(med, rows)]
            ax.errorbar(xs, med, yerr=[lo, hi], marker="o", capsize=3, label=mode)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(op)
        ax.set_xlabel("Services")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("update time, median (ms; bars: min-max)")
    axes[-1].legend(fontsize=8)
    save(fig, out, "update_time_vs_services")


def plot_cdf(doc, out):
    largest = max((e["services"] for e in doc["latency"]), default=None)
    if largest is None:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for e in doc["latency"]:
        if e["services"] != largest or e["target"] != "uniform" or "latency_cdf" not in e:
            continue
        pts = e["latency_cdf"]
        ax.plot([p[0] / 1000 for p in pts], [p[1] for p in pts], label=f"{e['mode']} {e['phase']}")
    ax.set_xscale("log")
    ax.set_xlabel("latency (µs)")
    ax.set_ylabel("fraction of packets")
    ax.set_title(f"latency CDF at {largest} Services, uniform target{emulated_note(doc)}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out, "latency_cdf")
    return largest


def per_rule_cost(doc):
    """Least-squares slope of new-flow p50 to the last Service against the number of
    KUBE-SERVICES rules before it (its position): ns per rule walked."""
    out = {}
    for (mode,), rows in by_key([e for e in doc["latency"] if e["phase"] == "new-flow" and e["target"] == "last"], "mode").items():
        pts = [(r.get("target_positions", r["services"]), r["latency_ns"]["p50"]) for r in rows]
        if len(pts) < 2:
            continue
        n = len(pts)
        mx = sum(p[0] for p in pts) / n
        my = sum(p[1] for p in pts) / n
        var = sum((p[0] - mx) ** 2 for p in pts)
        if var == 0:
            continue
        out[mode] = sum((p[0] - mx) * (p[1] - my) for p in pts) / var
    return out


def report(doc, out, largest):
    ctx = doc["context"]
    costs = per_rule_cost(doc)
    rows = []
    for e in sorted(doc["latency"], key=lambda e: (e["mode"], e["services"], e["phase"], TARGETS.index(e["target"]))):
        l = e["latency_ns"]
        rows.append(f"<tr><td>{html.escape(e['mode'])}</td><td>{e['services']}</td><td>{e['phase']}</td><td>{e['target']}</td>"
                    f"<td>{e['packets_tx']}</td><td>{e['packets_rx']}</td><td>{e['packets_lost']}</td>"
                    f"<td>{e.get('tx_pps', '')}</td><td>{e.get('rx_pps', '')}{' saturated' if e.get('saturated') else ''}</td>"
                    f"<td>{l['min']/1000:.1f}</td><td>{l['p50']/1000:.1f}</td><td>{l['p90']/1000:.1f}</td><td>{l['p99']/1000:.1f}</td><td>{l['max']/1000:.1f}</td></tr>")
    urows = []
    for e in sorted(doc["updates"], key=lambda e: (e["mode"], e["services"], OPERATIONS.index(e["operation"]))):
        s = e["seconds"]
        if s["median"] is None:
            continue
        urows.append(f"<tr><td>{html.escape(e['mode'])}</td><td>{e['services']}</td><td>{e['operation']}</td>"
                     f"<td>{s['median']*1000:.1f}</td><td>{s['min']*1000:.1f}</td><td>{s['max']*1000:.1f}</td><td>{s['runs']}</td></tr>")
    base = doc.get("baseline")
    base_text = (f"back-to-back (no node) p50 {base['latency_ns']['p50']/1000:.1f} µs, p99 {base['latency_ns']['p99']/1000:.1f} µs"
                 if base else "no baseline measured")
    def cost_line(mode, c):
        if mode.startswith("iptables"):
            return f"<li>{html.escape(mode)}: {c:.1f} ns per KUBE-SERVICES rule walked (new-flow p50, last target)</li>"
        return f"<li>{html.escape(mode)}: {c:.2f} ns per Service (new-flow p50, last target; a verdict-map lookup walks no chain)</li>"
    cost_text = "".join(cost_line(m, c) for m, c in costs.items())
    failed = doc["progress"].get("failed", [])
    fail_text = "".join(f"<li>{html.escape(f['point'])}: {html.escape(f['error'])}</li>" for f in failed) or "<li>none</li>"
    emulated = "<p><b>Emulated node: compare ratios within this run only.</b></p>" if ctx.get("emulated") else ""
    imgs = "".join(f'<figure><img src="{n}.svg" alt="{n}"><figcaption>{n}</figcaption></figure>'
                   for n in ("latency_vs_services", "update_time_vs_services", "latency_cdf") if (out / f"{n}.svg").exists())
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>svcbench run {html.escape(ctx.get('date', ''))}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}}table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}img{{max-width:100%}}</style></head><body>
<h1>svcbench: Service dataplane cost vs number of Services</h1>{emulated}
<p>state: {html.escape(doc['progress'].get('state', '?'))}; {base_text}; largest size {largest}.</p>
<h2>Per-rule cost</h2><ul>{cost_text or '<li>needs two or more sizes</li>'}</ul>
<h2>Plots</h2>{imgs}
<h2>Latency (µs)</h2><p>"saturated": the node fell behind the sent rate (packets lost, or delivered
more than 10% slower than sent); its percentiles measure the node's queue, and min approximates the
per-packet cost. Red rings mark such points in the plot.</p><table><tr><th>mode</th><th>Services</th><th>phase</th><th>target</th><th>tx</th><th>rx</th><th>lost</th><th>sent pps</th><th>delivered pps</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>{''.join(rows)}</table>
<h2>Rule updates (ms)</h2><table><tr><th>mode</th><th>Services</th><th>operation</th><th>median</th><th>min</th><th>max</th><th>runs</th></tr>{''.join(urows)}</table>
<h2>Failed points</h2><ul>{fail_text}</ul>
<h2>Context</h2><pre>{html.escape(json.dumps(ctx, indent=1))}</pre>
<h2>Configuration</h2><pre>{html.escape(json.dumps(doc.get('config', {}), indent=1))}</pre>
</body></html>"""
    (out / "report.html").write_text(page)


def main():
    if len(sys.argv) != 2:
        print("usage: plot_results.py RESULTS_DIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    try:
        doc = json.loads((out / "results.json").read_text())
    except (OSError, ValueError) as e:
        print(f"plot_results.py: cannot read {out}/results.json: {e}", file=sys.stderr)
        return 2
    if doc["latency"]:
        plot_latency(doc, out)
    if doc["updates"]:
        plot_updates(doc, out)
    largest = plot_cdf(doc, out)
    report(doc, out, largest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
