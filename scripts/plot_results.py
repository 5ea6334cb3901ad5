#!/usr/bin/python3
"""Plots and report for one svcbench run: reads DIR/results.json (and the updates-under-load
timelines beside it, DIR/timelines.json.gz), writes PNG plots (256-colour palettes: a committed
run stays small) and DIR/report.html that embeds them with the numbers and the run's context.
A dual-stack run gets each plot per family (NAME_ipv4, NAME_ipv6) and families_vs_services side
by side."""
import gzip
import html
import io
import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402  (matplotlib's own dependency)

PHASES = ("new-flow", "established")
TARGETS = ("first", "middle", "last", "most-endpoints", "uniform", "pcap")
OPERATIONS = ("initial-load", "full-resync", "add-service", "remove-service", "change-endpoints")
UNDER_LOAD = ("add-service", "remove-service", "change-endpoints", "full-resync")
# What each operation's "time to effect" is under load: when the probe first reached an added
# endpoint, when a removed one stopped receiving new flows, or (full resync: nothing changes) the tool.
EFFECT = {"add-service": ("convergence_seconds", "convergence"), "remove-service": ("stale_seconds", "stale"),
          "change-endpoints": ("convergence_seconds", "convergence"), "full-resync": ("tool_seconds", "tool")}


def by_key(entries, *keys):
    out = {}
    for e in entries:
        out.setdefault(tuple(e.get(k) for k in keys), []).append(e)
    return out


def modes_of(doc):
    """The modes in the configuration's order (a shuffled sweep measures them in any order;
    colours and legends stay the same from run to run), then any others the entries name."""
    entries = doc["latency"] + doc["updates"] + doc.get("limit_reached", [])
    seen = [m for m in doc.get("config", {}).get("modes", []) if isinstance(m, str)]
    seen = [m for m in seen if any(e["mode"] == m for e in entries)]
    for e in entries:
        if e["mode"] not in seen:
            seen.append(e["mode"])
    return seen


FAMILY_LISTS = ("latency", "updates", "throughput", "convergence")


def families_of(doc):
    seen = []
    for key in FAMILY_LISTS:
        for e in doc.get(key, []):
            if e.get("ip_family", "ipv4") not in seen:
                seen.append(e.get("ip_family", "ipv4"))
    return seen


BASELINE_KEYS = ("baseline", "baseline_end", "baseline_drift")


def family_key(key, family):
    """Where a family's baseline entry lives: IPv4's under KEY, another's under KEY_<family>."""
    return key if family == "ipv4" else f"{key}_{family}"


def of_family(doc, family):
    """The run's entries of one family, its back-to-back baseline as the baseline (IPv6's is
    under baseline_ipv6 etc.; none where the run did not measure it); its plots are saved as
    NAME_<family>."""
    sub = dict(doc)
    for key in FAMILY_LISTS:
        sub[key] = [e for e in doc.get(key, []) if e.get("ip_family", "ipv4") == family]
    for key in BASELINE_KEYS:
        sub[key] = doc.get(family_key(key, family))
    sub["_family"] = family
    return sub


def plot_name(doc, name):
    return f"{name}_{doc['_family']}" if "_family" in doc else name


def save(fig, out, name, doc=None):
    name = plot_name(doc, name) if doc is not None else name
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    # A palette of 256 colours is indistinguishable here and a third of the bytes.
    Image.open(buf).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        out / f"{name}.png", optimize=True)


def run_note(doc):
    """What every title says about the run: an emulated node, a kube-proxy other than today's."""
    note = f" [{doc['_family'].replace('ip', 'IP')}]" if "_family" in doc else ""
    version = doc.get("config", {}).get("kube_proxy", {}).get("version", "current")
    if version != "current":
        note += f" [kube-proxy {version} rules]"
    if doc["context"].get("emulated"):
        note += " (emulated node: compare ratios only)"
    return note


def mode_colors(doc):
    return {m: f"C{i}" for i, m in enumerate(modes_of(doc))}


def outside_legend(fig, axes):
    """One legend for every panel, right of the axes, each label once."""
    handles = {}
    for ax in getattr(axes, "flat", axes):
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    fig.tight_layout()
    fig.legend(list(handles.values()), list(handles), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)


def plot_latency(doc, out):
    """One colour per mode; line style per target; p50 on the top row, p99 on the bottom row
    (its own panel, not stacked on the p50 lines); legend outside the axes."""
    fig, axes = plt.subplots(2, 2, figsize=(13, 8), sharex=True)
    groups = by_key(doc["latency"], "mode", "phase", "target")
    colors = mode_colors(doc)
    styles = (("last", "-"), ("uniform", "--"), ("first", ":"), ("most-endpoints", "-."))
    base = doc.get("baseline")
    for col, phase in enumerate(PHASES):
        for row, pct in enumerate(("p50", "p99")):
            ax = axes[row][col]
            saturated_labelled = False
            for mode in modes_of(doc):
                for target, style in styles:
                    rows = sorted(groups.get((mode, phase, target), []), key=lambda e: e["services"])
                    if not rows:
                        continue
                    xs = [r["services"] for r in rows]
                    ys = [r["latency_ns"][pct] / 1000 for r in rows]
                    ax.plot(xs, ys, style, marker="o", ms=3, color=colors[mode], label=f"{mode}, {target}")
                    hot = [r for r in rows if r.get("saturated")]
                    if hot:  # the node fell behind the offered rate: these are queueing
                        ax.scatter([r["services"] for r in hot], [r["latency_ns"][pct] / 1000 for r in hot],
                                   s=120, facecolors="none", edgecolors="red", linewidths=1.2, zorder=5,
                                   label=None if saturated_labelled else "saturated (queueing)")
                        saturated_labelled = True
            if base:
                ax.axhline(base["latency_ns"][pct] / 1000, color="grey", lw=0.8, label=f"back-to-back {pct} (start)")
            if doc.get("baseline_end"):
                ax.axhline(doc["baseline_end"]["latency_ns"][pct] / 1000, color="grey", lw=0.8, ls="--",
                           label=f"back-to-back {pct} (end)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{phase}, {pct}{run_note(doc)}")
            ax.grid(True, which="both", alpha=0.3)
            if row == 1:
                ax.set_xlabel("Services")
            if col == 0:
                ax.set_ylabel(f"{pct} latency (µs)")
    outside_legend(fig, axes)
    save(fig, out, "latency_vs_services", doc)


def plot_throughput(doc, out):
    """NDR and PDR (conditional throughput) vs Services per mode and phase, with the
    generator's maximum; CPU ns per packet vs Services; latency vs load at the largest size."""
    entries = doc.get("throughput", [])
    if not entries:
        return []
    colors = {m: f"C{i}" for i, m in enumerate(dict.fromkeys(e["mode"] for e in entries))}
    groups = by_key(entries, "mode", "phase", "target")
    names = []
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    gen = max((e["generator_max_pps"] for e in entries), default=0)
    for ax, phase in zip(axes, PHASES):
        for (mode, ph, target), rows in sorted(groups.items()):
            if ph != phase:
                continue
            rows = sorted(rows, key=lambda e: e["services"])
            xs = [r["services"] for r in rows]
            for goal, style in (("ndr", "-"), ("pdr", "--")):
                ys = [r["goals"][goal]["conditional_pps"] for r in rows if goal in r["goals"]]
                if len(ys) == len(xs):
                    ax.plot(xs, ys, style, marker="o", ms=4, color=colors[mode], label=f"{mode} {goal.upper()} ({target})")
        if gen:
            ax.axhline(gen, color="grey", lw=0.8, label="generator maximum (back-to-back)")
        caps = {r["max_load_pps"] for r in entries if r["phase"] == phase and r.get("max_load_reason")}
        for cap in caps:
            ax.axhline(cap, color="grey", lw=0.8, ls=":", label="new-flow trial ceiling (distinct tuples)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Services")
        ax.set_title(f"{phase} capacity{' (new connections/s)' if phase == 'new-flow' else ''}{run_note(doc)}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("packets/s without loss (NDR) / with ≤0.5% (PDR)")
    outside_legend(fig, axes)
    save(fig, out, "throughput_vs_services", doc)
    names.append(plot_name(doc, "throughput_vs_services"))

    fig, ax = plt.subplots(figsize=(8, 4.8))
    for (mode, phase, target), rows in sorted(groups.items()):
        rows = sorted([r for r in rows if r.get("cpu_ns_per_packet") is not None], key=lambda e: e["services"])
        if rows:
            ax.plot([r["services"] for r in rows], [r["cpu_ns_per_packet"] for r in rows],
                    "-" if phase == "new-flow" else "--", marker="o", color=colors[mode], label=f"{mode} {phase} ({target})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Services")
    ax.set_ylabel("node CPU per forwarded packet at NDR (ns)")
    counted = next((e.get("cpu_counted") for e in entries if e.get("cpu_counted")), "")
    ax.set_title(f"CPU per packet{run_note(doc)}\n{counted}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    save(fig, out, "cpu_per_packet_vs_services", doc)
    names.append(plot_name(doc, "cpu_per_packet_vs_services"))

    largest = max(e["services"] for e in entries)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    for ax, phase in zip(axes, PHASES):
        for e in entries:
            if e["services"] != largest or e["phase"] != phase or not e["latency_at_load"]:
                continue
            pts = sorted(e["latency_at_load"], key=lambda l: l["fraction"])
            xs = [p["fraction"] * 100 for p in pts]
            ax.plot(xs, [p["latency_ns"]["p50"] / 1000 for p in pts], "-", marker="o", color=colors[e["mode"]], label=f"{e['mode']} p50")
            ax.plot(xs, [p["latency_ns"]["p99"] / 1000 for p in pts], ":", marker="x", color=colors[e["mode"]], label=f"{e['mode']} p99")
            for p in pts:  # sent in bursts: the latency includes the burst's own queue
                if p.get("burst", 1) > 1:
                    ax.annotate(f"burst {p['burst']}", (p["fraction"] * 100, p["latency_ns"]["p50"] / 1000),
                                textcoords="offset points", xytext=(-20, 8), fontsize=7, color=colors[e["mode"]])
        ax.set_yscale("log")
        ax.set_xlabel("offered load (% of PDR)")
        ax.set_title(f"{phase} latency under load, {largest} Services{run_note(doc)}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency (µs)")
    outside_legend(fig, axes)
    save(fig, out, "latency_vs_load", doc)
    names.append(plot_name(doc, "latency_vs_load"))
    return names


def plot_updates(doc, out):
    """Median update time per operation (bars: min-max); an operation --op-limit stopped (triangle)
    or that hung a guest (cross) is drawn at the time it had run by then: a lower bound."""
    fig, axes = plt.subplots(1, len(OPERATIONS), figsize=(17, 4), sharey=False)
    groups = by_key(doc["updates"], "mode", "operation")
    colors = mode_colors(doc)
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
            ax.errorbar(xs, med, yerr=[lo, hi], marker="o", capsize=3, label=mode, color=colors[mode])
        # What --op-limit stopped or a hung guest cut short: at least this long, shown where it ended.
        for outcome, marker in (("stopped", "^"), ("unresponsive", "X")):
            cut = [e for e in doc.get("limit_reached", [])
                   if e["outcome"] == outcome and e["operation"] == op and e.get("elapsed_s") is not None]
            for mode in modes_of(doc):
                pts = [(e["services"], e["elapsed_s"] * 1000) for e in cut if e["mode"] == mode]
                if pts:
                    ax.scatter(*zip(*pts), marker=marker, s=90, color=colors[mode], edgecolors="black", zorder=5,
                               label=f"{mode}: {outcome} (≥ this)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(op)
        ax.set_xlabel("Services")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("update time, median (ms; bars: min-max)")
    outside_legend(fig, axes)
    if run_note(doc):
        fig.suptitle("Rule updates" + run_note(doc), y=1.02)
    save(fig, out, "update_time_vs_services", doc)


def step_rows(doc):
    """(mode, operation) -> [(services, update entry)] for entries that carry sync steps."""
    rows = {}
    for e in doc["updates"]:
        if e.get("steps"):
            rows.setdefault((e["mode"], e["operation"]), []).append((e["services"], e))
    return {k: sorted(v, key=lambda x: x[0]) for k, v in rows.items()}


def plot_sync_anatomy(doc, out):
    """Each sync's steps stacked, as shares of the sync, per mode x operation and size."""
    rows = step_rows(doc)
    modes = [m for m in modes_of(doc) if any(k[0] == m for k in rows)]
    if not modes:
        return
    fig, axes = plt.subplots(len(modes), len(OPERATIONS), figsize=(18, 3.2 * len(modes)), squeeze=False)
    cmap = plt.get_cmap("tab10")
    step_colors = {}
    for r, mode in enumerate(modes):
        for c, op in enumerate(OPERATIONS):
            ax = axes[r][c]
            entries = rows.get((mode, op), [])
            if not entries:
                ax.axis("off")
                continue
            xs = list(range(len(entries)))
            bottoms = [0.0] * len(entries)
            names = []
            for _, e in entries:
                for st in e["steps"]:
                    if st["name"] not in names:
                        names.append(st["name"])
            for name in names:
                color = step_colors.setdefault(name, cmap(len(step_colors) % 10))
                shares = []
                for _, e in entries:
                    total = sum(st["seconds"] for st in e["steps"]) or 1
                    shares.append(100 * sum(st["seconds"] for st in e["steps"] if st["name"] == name) / total)
                ax.bar(xs, shares, bottom=bottoms, color=color, label=name)
                bottoms = [b + h for b, h in zip(bottoms, shares)]
            for x, (_, e) in zip(xs, entries):
                total = e.get("sync_seconds", {}).get("median")
                if total is not None:
                    ax.text(x, 102, f"{total:.2g} s", ha="center", va="bottom", fontsize=6, rotation=90)
            ax.set_xticks(xs)
            ax.set_xticklabels([f"{n:,}" for n, _ in entries], fontsize=7, rotation=45)
            ax.set_ylim(0, 130)
            ax.set_title(f"{mode}: {op}", fontsize=9)
            if c == 0:
                ax.set_ylabel("share of the sync (%)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in step_colors.values()]
    fig.legend(handles, list(step_colors), loc="lower center", ncol=min(len(step_colors), 6), fontsize=8,
               bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("kube-proxy's syncs step by step (bar: share of each step; label: the sync's median seconds)"
                 + run_note(doc), y=1.0)
    fig.tight_layout(rect=(0, 0.04, 1, 0.98))
    save(fig, out, "sync_anatomy", doc)


def loglog_fit(points):
    """Least-squares slope and R^2 of log(seconds) over log(Services)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(v) for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None, None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (my + slope * (x - mx))) ** 2 for x, y in zip(xs, ys))
    return slope, (1 - ss_res / ss_tot) if ss_tot > 0 else 1.0


def step_growth(doc):
    """Per mode, operation and step: the growth exponent over the sizes of 1,000 Services and
    more when there are three such sizes (below that a sync is mostly fixed cost), else over
    every size; with the step's seconds and CPU split at the largest size."""
    out = []
    for (mode, op), entries in sorted(step_rows(doc).items()):
        names = []
        for _, e in entries:
            for st in e["steps"]:
                if st["name"] not in names:
                    names.append(st["name"])
        for name in names + ["(sync)"]:
            pts = []
            for n, e in entries:
                if name == "(sync)":
                    v = e.get("sync_seconds", {}).get("median")
                    cpu = [(st.get("user_seconds"), st.get("system_seconds")) for st in e["steps"]]
                    known = all(u is not None and k is not None for u, k in cpu)
                    pts.append((n, v, sum(u for u, _ in cpu) if known else None,
                                sum(k for _, k in cpu) if known else None))
                    continue
                for st in e["steps"]:
                    if st["name"] == name:
                        pts.append((n, st["seconds"], st.get("user_seconds"), st.get("system_seconds")))
            pts = [p for p in pts if p[1] and p[1] > 0 and p[0] > 0]
            large = [p for p in pts if p[0] >= 1000]
            used = large if len(large) >= 3 else pts
            if len(used) < 3:
                continue
            slope, r2 = loglog_fit([(p[0], p[1]) for p in used])
            if slope is None:
                continue
            last = pts[-1]
            out.append({"mode": mode, "operation": op, "step": name, "exponent": slope, "r2": r2,
                        "sizes": [p[0] for p in used], "services": last[0], "seconds": last[1],
                        "user_seconds": last[2], "system_seconds": last[3]})
    return out


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
    ax.set_title(f"latency CDF at {largest} Services, uniform target{run_note(doc)}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out, "latency_cdf", doc)
    return largest


def per_rule_cost(doc):
    """Least-squares fit, over every size, of new-flow p50 to the last Service against the
    number of KUBE-SERVICES rules before it (its position): slope (ns per rule walked) and R²."""
    out = {}
    dual = len(families_of(doc)) > 1
    last = [e for e in doc["latency"] if e["phase"] == "new-flow" and e["target"] == "last"]
    for (mode, family), rows in by_key(last, "mode", "ip_family").items():
        pts = [(r.get("target_positions", r["services"]), r["latency_ns"]["p50"]) for r in rows]
        if len(pts) < 2:
            continue
        n = len(pts)
        mx = sum(p[0] for p in pts) / n
        my = sum(p[1] for p in pts) / n
        var = sum((p[0] - mx) ** 2 for p in pts)
        if var == 0:
            continue
        slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / var
        ss_tot = sum((p[1] - my) ** 2 for p in pts)
        ss_res = sum((p[1] - (my + slope * (p[0] - mx))) ** 2 for p in pts)
        out[f"{mode} {family}" if dual else mode] = (slope, 1 - ss_res / ss_tot if ss_tot else 1.0, n)
    return out


def per_endpoint_cost(doc):
    """Where Services differ in endpoints (an --endpoints-profile): least squares of new-flow p50
    against both what a new flow walks — the KUBE-SERVICES rules before its Service (position)
    and that Service's endpoints (its KUBE-SVC chain) — over every single-target entry:
    (ns per rule, ns per endpoint, R², entries)."""
    import numpy as np
    out = {}
    dual = len(families_of(doc)) > 1
    rows = [e for e in doc["latency"] if e["phase"] == "new-flow" and "target_endpoints" in e and not e.get("saturated")
            and e["target"] in ("first", "middle", "last", "most-endpoints")]
    for (mode, family), group in by_key(rows, "mode", "ip_family").items():
        if len(group) < 4 or len({r["target_endpoints"] for r in group}) < 2:
            continue
        x = np.array([[1.0, r.get("target_positions", 0), r["target_endpoints"]] for r in group])
        y = np.array([r["latency_ns"]["p50"] for r in group], dtype=float)
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        ss_tot = float(((y - y.mean()) ** 2).sum())
        ss_res = float(((y - x @ coef) ** 2).sum())
        out[f"{mode} {family}" if dual else mode] = (float(coef[1]), float(coef[2]),
                                                     1 - ss_res / ss_tot if ss_tot else 1.0, len(group))
    return out


def plot_convergence(doc, out):
    """Top row: time to effect per operation (p50, bars to p99) with the tool's own time dashed;
    bottom row: background p99 latency during the update (solid) and before it (dotted)."""
    entries = doc.get("convergence", [])
    if not entries:
        return
    colors = mode_colors(doc)
    groups = by_key(entries, "mode", "operation")
    fig, axes = plt.subplots(2, len(UNDER_LOAD), figsize=(17, 7), squeeze=False)
    for col, op in enumerate(UNDER_LOAD):
        key, label = EFFECT[op]
        top, bottom = axes[0][col], axes[1][col]
        for mode in modes_of(doc):
            rows = sorted(groups.get((mode, op), []), key=lambda e: e["services"])
            c = colors.get(mode)
            pts = [(r["services"], r[key]) for r in rows if r.get(key)]
            if pts:
                xs = [x for x, _ in pts]
                p50 = [v["p50"] * 1000 for _, v in pts]
                up = [v["p99"] * 1000 - m for (_, v), m in zip(pts, p50)]
                top.errorbar(xs, p50, yerr=[[0] * len(up), up], marker="o", capsize=3, color=c, label=f"{mode} {label}")
            tool = [(r["services"], r["tool_seconds"]["p50"] * 1000) for r in rows if r.get("tool_seconds")]
            if tool and key != "tool_seconds":
                top.plot(*zip(*tool), linestyle="--", color=c, alpha=0.7, label=f"{mode} tool")
            lat = [(r["services"], r["background_latency_ns"]["during"]["p99"] / 1000,
                    r["background_latency_ns"]["before"]["p99"] / 1000) for r in rows]
            if lat:
                xs = [x for x, _, _ in lat]
                bottom.plot(xs, [d for _, d, _ in lat], marker="o", color=c, label=f"{mode} p99 during")
                bottom.plot(xs, [b for _, _, b in lat], linestyle=":", color=c, label=f"{mode} p99 before")
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            ax.set_xlabel("Services")
        top.set_title(f"{op}: {label}")
    axes[0][0].set_ylabel("ms after the update started (p50, bar to p99)")
    axes[1][0].set_ylabel("background latency p99 (µs)")
    fig.suptitle("Rule updates under a held load" + run_note(doc), y=1.01)
    outside_legend(fig, axes)
    save(fig, out, "convergence_vs_services", doc)


def plot_timelines(doc, out):
    """Per mode, at its largest size: each operation's kept run, background packets per bin
    (sent, lost), probe arrivals at added and removed endpoints, background p50/p99 per bin."""
    entries = doc.get("convergence", [])
    for mode in modes_of(doc):
        mine = [e for e in entries if e["mode"] == mode and e.get("timeline")]
        if not mine:
            continue
        largest = max(e["services"] for e in mine)
        ops = [e for op in UNDER_LOAD for e in mine if e["services"] == largest and e["operation"] == op]
        fig, axes = plt.subplots(2, len(ops), figsize=(4.5 * len(ops), 6.5), squeeze=False, sharex="col")
        for col, e in enumerate(ops):
            t = e["timeline"]
            xs = [t["first_bin_s"] + (i + 0.5) * t["bin_ms"] / 1000 for i in range(len(t["sent"]))]
            run = e["per_run"][t["run"]]
            top, bottom = axes[0][col], axes[1][col]
            top.plot(xs, t["sent"], color="0.6", linewidth=0.8, label="background sent")
            top.plot(xs, t["lost"], color="black", linewidth=1.0, label="background lost")
            top.plot(xs, t["probe_added"], color="C2", linewidth=0.8, label="probe at added endpoint")
            top.plot(xs, t["probe_removed"], color="C3", linewidth=0.8, label="probe at removed endpoint")
            bottom.plot(xs, [v / 1000 if v else float("nan") for v in t["p50_ns"]], color="C0", linewidth=0.8, label="background p50")
            bottom.plot(xs, [v / 1000 if v else float("nan") for v in t["p99_ns"]], color="C1", linewidth=0.8, label="background p99")
            bottom.set_yscale("log")
            for ax in (top, bottom):
                ax.axvspan(0, run["update_s"], color="C4", alpha=0.12, label="update (tools and cleanup)")
                ax.grid(True, alpha=0.3)
            top.set_title(f"{e['operation']} (run {t['run'] + 1}/{e['runs']})")
            top.set_ylabel(f"packets per {t['bin_ms']:g} ms")
            bottom.set_ylabel("latency (µs)")
            bottom.set_xlabel("seconds from the update's start")
        fig.suptitle(f"{mode} at {largest:,} Services: what an update does to live traffic" + run_note(doc), y=1.01)
        outside_legend(fig, axes)
        save(fig, out, f"timeline_{mode}", doc)


def under_load_html(doc):
    entries = doc.get("convergence", [])
    if not entries:
        return ""

    def ms(stats, key="p50"):
        return "" if not stats else f"{stats[key] * 1000:.1f}"
    rows = []
    for e in sorted(entries, key=lambda e: (e["mode"], e["services"], UNDER_LOAD.index(e["operation"]))):
        b = e["background_latency_ns"]
        still = f" ({e['udp_still_stale_runs']} still stale)" if e.get("udp_still_stale_runs") else ""
        margin = e.get("convergence_minus_tool_min_s")
        rows.append(f"<tr><td>{html.escape(e['mode'])}</td><td>{e['services']}</td><td>{e['operation']}</td><td>{e['runs']}</td>"
                    f"<td>{ms(e['tool_seconds'])}</td><td>{ms(e['update_seconds'])}</td>"
                    f"<td>{ms(e['convergence_seconds'])}</td><td>{ms(e['convergence_seconds'], 'p99')}</td>"
                    f"<td>{'' if margin is None else f'{margin * 1000:.1f}'}</td>"
                    f"<td>{ms(e['stale_seconds'], 'p99')}</td><td>{ms(e['udp_stale_seconds'], 'p99')}{still}</td>"
                    f"<td>{e['background_lost']} / {e['background_sent']}</td><td>{ms(e['blocked_seconds'], 'max')}</td>"
                    f"<td>{b['before']['p99'] / 1000:.1f} / {b['during']['p99'] / 1000:.1f}</td>"
                    f"<td>{b['during']['max'] / 1000:.0f}</td><td>{e['max_send_lag_ms']:.1f}</td>"
                    f"<td>{html.escape(e.get('message', ''))}</td></tr>")
    load = entries[0]["load"]
    cleanup = "deleted after each update, as kube-proxy does" if entries[0]["udp_conntrack_cleanup"] else "kept (--keep-udp-conntrack)"
    return f"""<h2>Rule updates under load</h2>
<p>Each update is made again while a steady stream runs: background load {load['background_pps']:,.0f} pps
({load['new_flow_pps']:,.0f} new flows/s over the loaded Services, {load['established_pps']:,.0f} pps on
{load['established_flows']} established flows; source: {html.escape(load['source'])}) plus {load['probe_pps']:,.0f} probe pps
aimed at what the update changes. Times are from the moment the first tool of the sync is spawned (svcbench renders the
update before the window), on the generator's clock; "tool" is the tools' own run on the node, "sync" adds the spawning
and the conntrack deletion. Convergence: the first probe DNAT-ed to an added endpoint;
stale: the last new-flow probe (and the established UDP flow) reaching a removed endpoint; removed endpoints' UDP
conntrack entries {cleanup}. A tool applies the rules before it exits, so convergence may fall short of the tool time by
the tool's work after its commit (conv − tool &lt; 0). Blocked: lost background packets ÷ offered rate (CSIT's
effective blocked time). Lag: the generator's worst delay against its schedule.</p>
<table><tr><th>mode</th><th>Services</th><th>operation</th><th>runs</th><th>tool p50 ms</th><th>sync p50 ms</th>
<th>convergence p50 ms</th><th>p99</th><th>conv − tool min ms</th><th>stale p99 ms</th><th>UDP stale p99 ms</th>
<th>background lost / sent</th><th>blocked max ms</th><th>latency p99 before / during µs</th><th>max during µs</th><th>lag ms</th><th>note</th></tr>
{''.join(rows)}</table>"""


def plot_families(doc, out):
    """Both families side by side per mode: new-flow p50 to the last Service (left) and the
    add-service update's median (right); IPv4 solid, IPv6 dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    colors = mode_colors(doc)
    styles = {"ipv4": "-", "ipv6": "--"}
    lat = by_key([e for e in doc["latency"] if e["phase"] == "new-flow" and e["target"] == "last"],
                 "mode", "ip_family")
    upd = by_key([e for e in doc["updates"] if e["operation"] == "add-service" and e["seconds"]["median"] is not None],
                 "mode", "ip_family")
    for (mode, family), rows in sorted(lat.items()):
        rows = sorted(rows, key=lambda e: e["services"])
        axes[0].plot([r["services"] for r in rows], [r["latency_ns"]["p50"] / 1000 for r in rows],
                     styles.get(family, ":"), marker="o", ms=3, color=colors[mode], label=f"{mode} {family}")
    for (mode, family), rows in sorted(upd.items()):
        rows = sorted(rows, key=lambda e: e["services"])
        axes[1].plot([r["services"] for r in rows], [r["seconds"]["median"] * 1000 for r in rows],
                     styles.get(family, ":"), marker="o", ms=3, color=colors[mode], label=f"{mode} {family}")
    axes[0].set_title(f"new-flow p50, last Service{run_note(doc)}")
    axes[0].set_ylabel("latency (µs)")
    axes[1].set_title(f"add-service update, median{run_note(doc)}")
    axes[1].set_ylabel("update time (ms)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Services")
        ax.grid(True, which="both", alpha=0.3)
    outside_legend(fig, axes)
    save(fig, out, "families_vs_services")


def report(doc, out, largest):
    ctx = doc["context"]
    costs = per_rule_cost(doc)
    rows = []
    def fam(e):
        return e.get("ip_family", "ipv4")
    varied = len({e["target_endpoints"] for e in doc["latency"] if "target_endpoints" in e}) > 1
    def ep(e):  # a single target's endpoints, where the targets differ in them
        n = e.get("target_endpoints")
        return f" ({n} endpoints)" if varied and n is not None else ""
    for e in sorted(doc["latency"], key=lambda e: (e["mode"], e["services"], fam(e), e["phase"], TARGETS.index(e["target"]))):
        l = e["latency_ns"]
        rows.append(f"<tr><td>{html.escape(e['mode'])}</td><td>{fam(e)}</td><td>{e['services']}</td><td>{e['phase']}</td><td>{e['target']}{ep(e)}</td>"
                    f"<td>{e['packets_tx']}</td><td>{e['packets_rx']}</td><td>{e['packets_lost']}</td>"
                    f"<td>{e.get('tx_pps', '')}</td><td>{e.get('rx_pps', '')}{' saturated' if e.get('saturated') else ''}</td>"
                    f"<td>{l['min']/1000:.1f}</td><td>{l['p50']/1000:.1f}</td><td>{l['p90']/1000:.1f}</td><td>{l['p99']/1000:.1f}</td><td>{l['max']/1000:.1f}</td></tr>")
    urows = []
    for e in sorted(doc["updates"], key=lambda e: (e["mode"], e["services"], fam(e), OPERATIONS.index(e["operation"]))):
        s = e["seconds"]
        if s["median"] is None:
            continue
        urows.append(f"<tr><td>{html.escape(e['mode'])}</td><td>{fam(e)}</td><td>{e['services']}</td><td>{e['operation']}</td>"
                     f"<td>{s['median']*1000:.1f}</td><td>{s['min']*1000:.1f}</td><td>{s['max']*1000:.1f}</td><td>{s['runs']}</td></tr>")
    trows = []
    for e in sorted(doc.get("throughput", []), key=lambda e: (e["mode"], e["services"], e["phase"], e["target"])):
        g = e["goals"]

        def bounds(name):
            if name not in g:
                return "<td></td><td></td><td></td>"
            x = g[name]
            up = "—" if x["upper_pps"] is None else f"{x['upper_pps']:,.0f}"
            return f"<td>{x['lower_pps']:,.0f}</td><td>{up}</td><td>{x['conditional_pps']:,.0f}</td>"
        lat = " ".join(f"{l['fraction']*100:.0f}%: {l['latency_ns']['p50']/1000:.1f}/{l['latency_ns']['p99']/1000:.1f}"
                       for l in e["latency_at_load"])
        cpu_ns = "" if e.get("cpu_ns_per_packet") is None else f"{e['cpu_ns_per_packet']:.0f}"
        trows.append(f"<tr><td>{html.escape(e['mode'])}</td><td>{e['services']}</td><td>{e['phase']}</td><td>{e['target']}</td>"
                     f"{bounds('ndr')}{bounds('pdr')}<td>{e['max_load_pps']:,.0f}</td><td>{cpu_ns}</td>"
                     f"<td>{e['search']['trials']}</td><td>{e['search']['wall_seconds']:.0f}</td><td>{lat}</td>"
                     f"<td>{html.escape(e.get('message', ''))}</td></tr>")
    gen_max = ctx.get("generator_max")
    throughput_html = ""
    if trows:
        cfg = doc.get("config", {}).get("throughput") or {}
        throughput_html = f"""<h2>Capacity (MLRsearch, RFC 9971)</h2>
<p>Profile {html.escape(str(cfg.get('profile', '?')))}: goals {html.escape(json.dumps(cfg.get('goals', [])))};
{cfg.get('trial_duration_s', '?')} s trials; after each trial the generator waits for late frames up to
{cfg.get('late_frames_wait_ms', '?')} ms, ending once nothing arrived for {cfg.get('late_frames_quiet_ms', '?')} ms.
Frames a trial could not send within its duration count as lost. The generator's own maximum:
{gen_max.get('pps', '?') if gen_max else '?'} pps ({html.escape(gen_max.get('measured_on', '') if gen_max else '')}); an NDR equal to
the search's ceiling means "not limited by the node". New-flow: every packet a new conntrack entry, so the
rates are new connections per second. CPU: {html.escape(next((e.get('cpu_counted', '') for e in doc.get('throughput', [])), ''))}.</p>
<table><tr><th>mode</th><th>Services</th><th>phase</th><th>target</th><th>NDR lower</th><th>NDR upper</th><th>NDR conditional</th>
<th>PDR lower</th><th>PDR upper</th><th>PDR conditional</th><th>ceiling pps</th><th>CPU ns/pkt</th><th>trials</th><th>search s</th>
<th>latency at load p50/p99 µs</th><th>note</th></tr>{''.join(trows)}</table>"""
    base_text = baseline_text(doc)
    tsc_hz = ctx.get("generator", {}).get("tsc_hz")
    cpu = html.escape(str(ctx.get("cpu", "unknown CPU")))

    def cost_line(mode, fit):
        slope, r2, n = fit
        cycles = f", {slope * tsc_hz / 1e9:.1f} TSC cycles" if tsc_hz else ""
        what = ("per KUBE-SERVICES rule walked" if mode.startswith("iptables")
                else "per Service (a verdict-map or hash lookup walks no chain)")
        return (f"<li>{html.escape(mode)}: {slope:.2f} ns{cycles} {what}; least squares over {n} sizes, "
                f"R² {r2:.3f} (new-flow p50, last target)</li>")
    cost_text = "".join(cost_line(m, c) for m, c in costs.items())
    for mode, (rule, endpoint, r2, n) in per_endpoint_cost(doc).items():
        cost_text += (f"<li>{html.escape(mode)}: {rule:.2f} ns per KUBE-SERVICES rule and {endpoint:.2f} ns per endpoint "
                      f"of the target's KUBE-SVC chain; two-variable least squares over {n} entries, R² {r2:.3f} "
                      f"(new-flow p50, first/middle/last/most-endpoints targets)</li>")
    cost_text += (f"<li>CPU: {cpu}" + (f", TSC {tsc_hz / 1e9:.3f} GHz" if tsc_hz else "") +
                  ": the same code walks KUBE-SERVICES at different costs on different CPUs; compare runs in cycles and within a run</li>")
    failed = doc["progress"].get("failed", [])
    fail_text = "".join(f"<li>{html.escape(f['point'])}: {html.escape(f['error'])}</li>" for f in failed) or "<li>none</li>"
    emulated = "<p><b>Emulated node: compare ratios within this run only.</b></p>" if ctx.get("emulated") else ""
    growth = step_growth(doc)
    grows = []
    for g in growth:
        cpu = ""
        if g["user_seconds"] is not None and g["system_seconds"] is not None:
            cpu = f"{g['user_seconds']:.3g}</td><td>{g['system_seconds']:.3g}"
        else:
            cpu = "</td><td>"
        grows.append(f"<tr><td>{html.escape(g['mode'])}</td><td>{g['operation']}</td><td>{html.escape(g['step'])}</td>"
                     f"<td>{g['exponent']:.2f}</td><td>{g['r2']:.3f}</td><td>{g['sizes'][0]:,}–{g['sizes'][-1]:,} ({len(g['sizes'])})</td>"
                     f"<td>{g['services']:,}</td><td>{g['seconds']:.3g}</td><td>{cpu}</td></tr>")
    growth_html = ("<h2>Sync steps: growth with Services</h2><p>Each step kube-proxy runs for a sync (its "
                   "proxier's external tools), the exponent b of seconds ∝ Services<sup>b</sup> fitted on "
                   "log-log axes (least squares, R²) over the sizes of 1,000 and more when three were "
                   "measured, else all; then the step's median seconds and its user and kernel CPU time "
                   "(the tool's rusage) at the largest size. (sync): all steps together.</p>"
                   "<table><tr><th>mode</th><th>operation</th><th>step</th><th>exponent</th><th>R²</th>"
                   "<th>sizes fitted</th><th>largest</th><th>seconds</th><th>user s</th><th>kernel s</th></tr>"
                   + "".join(grows) + "</table>") if grows else ""
    plots = (("families_vs_services", "latency_vs_services", "update_time_vs_services", "sync_anatomy", "latency_cdf",
              "throughput_vs_services", "cpu_per_packet_vs_services", "latency_vs_load", "convergence_vs_services")
             + tuple(f"timeline_{m}" for m in modes_of(doc)))
    suffixes = [""] + [f"_{f}" for f in families_of(doc)]
    imgs = "".join(f'<figure><img src="{n}{x}.png" alt="{n}{x}"><figcaption>{n}{x}</figcaption></figure>'
                   for n in plots for x in suffixes if (out / f"{n}{x}.png").exists())
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>svcbench run {html.escape(ctx.get('date', ''))}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}}table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}img{{max-width:100%}}</style></head><body>
<h1>svcbench: Service dataplane cost vs number of Services</h1>{emulated}
<p>state: {html.escape(doc['progress'].get('state', '?'))}; {base_text}; largest size {largest};
endpoints per Service: {html.escape((doc.get('config', {}).get('endpoints_profile') or {}).get('name', 'uniform:2'))}.</p>
<h2>Per-rule cost</h2><ul>{cost_text or '<li>needs two or more sizes</li>'}</ul>
<h2>Plots</h2>{imgs}{throughput_html}{under_load_html(doc)}
<h2>Latency (µs)</h2><p>"saturated": the node fell behind the sent rate (packets lost, or delivered
more than 10% slower than sent); its percentiles measure the node's queue, and min approximates the
per-packet cost. Red rings mark such points in the plot.</p><table><tr><th>mode</th><th>family</th><th>Services</th><th>phase</th><th>target</th><th>tx</th><th>rx</th><th>lost</th><th>sent pps</th><th>delivered pps</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>{''.join(rows)}</table>
{growth_html}
<h2>Rule updates (ms)</h2><table><tr><th>mode</th><th>family</th><th>Services</th><th>operation</th><th>median</th><th>min</th><th>max</th><th>runs</th></tr>{''.join(urows)}</table>
{limits_html(doc)}
<h2>Failed points</h2><ul>{fail_text}</ul>
<h2>Context</h2><pre>{html.escape(json.dumps(ctx, indent=1))}</pre>
<h2>Configuration</h2><pre>{html.escape(json.dumps(doc.get('config', {}), indent=1))}</pre>
</body></html>"""
    (out / "report.html").write_text(page)


def limits_html(doc):
    """The points --op-limit stopped, that hung a guest, or that were skipped: results, not gaps."""
    rows = []
    for e in sorted(doc.get("limit_reached", []), key=lambda e: (e["mode"], e["services"])):
        elapsed = f"{e['elapsed_s']:.1f}" if e.get("elapsed_s") is not None else ""
        predicted = f"{e['predicted_s']:.0f}" if e.get("predicted_s") is not None else ""
        rows.append(f"<tr><td>{html.escape(e['mode'])}</td><td>{e.get('ip_family', 'ipv4')}</td><td>{e['services']}</td>"
                    f"<td>{e['outcome']}</td><td>{html.escape(e.get('operation', ''))}</td><td>{elapsed}</td>"
                    f"<td>{predicted}</td><td style='text-align:left'>{html.escape(e.get('reason', ''))}</td></tr>")
    if not rows:
        return ""
    return ("<h2>Stopped, unresponsive and skipped points</h2><p>stopped: an update ran past --op-limit "
            "(its tool killed; elapsed is a lower bound); unresponsive: the guest stopped answering in it "
            "(restarted); skipped: not started (predicted past the limit, or a smaller size already cut). "
            "The update plot marks the first two at their elapsed time.</p><table><tr><th>mode</th><th>family</th>"
            "<th>Services</th><th>outcome</th><th>operation</th><th>elapsed s</th><th>predicted s</th><th>reason</th></tr>"
            + "".join(rows) + "</table>")


def baseline_text(doc):
    """The warm-up, the back-to-back baseline at the start and the end, their drift, and whether
    the baseline is the floor it should be (at or below every node path's p50); per family where
    the run measured IPv6's baseline too."""
    warm = doc.get("warmup")
    if not doc.get("baseline"):
        return "no baseline measured"
    text = family_baseline_text(doc, "ipv4")
    if doc.get("baseline_ipv6"):
        text = "IPv4: " + text + ". IPv6: " + family_baseline_text(doc, "ipv6")
    if warm:
        p50s = ", ".join(f"{v / 1000:.1f}" for v in warm["window_p50_ns"][-5:])
        text += (f". Warm-up: {'stable' if warm['stable'] else '<b>not stable</b>'} after {warm['seconds']:.0f} s "
                 f"({len(warm['window_p50_ns'])} windows of {warm['window_packets']} packets; last p50s {p50s} µs)")
    order = doc.get("config", {}).get("order")
    if order:
        text += f". Points measured {order}" + (f" (seed {doc['config'].get('order_seed')})" if order == "shuffled" else "")
    return text


def family_baseline_text(doc, family):
    """One family's baseline at the start and end, drift, and floor check against its node paths."""
    base, end, drift = (doc.get(family_key(k, family)) for k in BASELINE_KEYS)
    us = lambda e, p: f"{e['latency_ns'][p] / 1000:.1f}"
    text = f"back-to-back baseline (no node) at the start p50 {us(base, 'p50')} µs, p99 {us(base, 'p99')} µs"
    if end:
        settle = doc.get("warmup_end")
        text += (f"; at the end p50 {us(end, 'p50')} µs, p99 {us(end, 'p99')} µs" +
                 (f" (node emptied, then {settle['seconds']:.0f} s until the stream held still)" if settle else ""))
    if drift:
        text += (f" (end/start {drift['ratio']:.3f}" +
                 (f": <b style='color:#c00'>DRIFTED beyond ±{drift['tolerance'] * 100:.0f}%</b> — the machine changed during the run; "
                  "compare points measured close in time only)" if drift["flagged"] else f", within ±{drift['tolerance'] * 100:.0f}%)"))
    # IPv4's baseline is the floor of IPv4's paths, IPv6's of IPv6's; a run without IPv6's
    # baseline holds every path to IPv4's (as before IPv6's was measured).
    paths = [e for e in doc.get("latency", []) if not e.get("saturated")
             and (e.get("ip_family", "ipv4") == family or not doc.get("baseline_ipv6"))]
    node_p50 = [e["latency_ns"]["p50"] for e in paths]
    if node_p50:
        floor = max(base["latency_ns"]["p50"], end["latency_ns"]["p50"] if end else 0)
        lowest = min(node_p50)
        text += (f"; the baseline is the floor: every node path's p50 ≥ {floor / 1000:.1f} µs (lowest {lowest / 1000:.1f} µs)"
                 if lowest >= floor else
                 f"; <b style='color:#c00'>a node path reads below the baseline</b> (lowest p50 {lowest / 1000:.1f} µs < {floor / 1000:.1f} µs)")
    return text


def load_results(out):
    """results.json with each updates-under-load timeline put back from timelines.json.gz."""
    doc = json.loads((out / "results.json").read_text())
    side = out / "timelines.json.gz"
    if side.exists():
        timelines = json.loads(gzip.decompress(side.read_bytes()))
        for e in doc.get("convergence", []):
            key = (e.get("timeline") or {}).get("key")
            if key:
                e["timeline"] = timelines[key]
    return doc


def main():
    if len(sys.argv) != 2:
        print("usage: plot_results.py RESULTS_DIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    try:
        doc = load_results(out)
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_results.py: cannot read {out}/results.json (or its timelines.json.gz): {e}", file=sys.stderr)
        return 2
    families = families_of(doc)
    views = [of_family(doc, f) for f in families] if len(families) > 1 else [doc]
    largest = None
    for view in views:
        if view["latency"]:
            plot_latency(view, out)
        if view["updates"]:
            plot_updates(view, out)
            plot_sync_anatomy(view, out)
        largest = plot_cdf(view, out) or largest
        plot_throughput(view, out)
        plot_convergence(view, out)
        plot_timelines(view, out)
    if len(families) > 1:
        plot_families(doc, out)
    report(doc, out, largest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
