#!/usr/bin/env python3
"""Prints docs/results/robustness.md's tables from docs/results/robustness/<config>/<set>-<method>.json
(written by robustness.sh): per set and method, MMD² mean ± standard error over seeds for each configuration,
with diverged (d) and unresolved-NLL (u) seed counts; then totals, and the guard's peaks over completed runs.
DRL's rows read its level-0 energy's grid density; "drl_sampler" rows the samples of its progressive sampling."""
import glob
import json
import math
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "robustness")
CONFIGS = sorted(os.listdir(HERE)) if os.path.isdir(HERE) else []
runs = {}  # (config, set, method) -> summary
for config in CONFIGS:
    for path in glob.glob(os.path.join(HERE, config, "*.json")):
        name = os.path.basename(path)[:-5]
        data_set, method = name.rsplit("-", 1)
        summary = json.load(open(path))
        runs[(config, data_set, method)] = summary
        # DRL's own samples (progressive sampling down its levels; since session 25): a column of their own,
        # "drl_sampler", read as the MMD² of every other column.
        aggregate = summary["aggregate"][0]
        if method == "drl" and "generated_mmd" in aggregate:
            runs[(config, data_set, "drl_sampler")] = {
                "aggregate": [dict(aggregate, mmd=aggregate["generated_mmd"])],
                "results": summary["results"]}
sets = []
for (_, s, _) in runs:
    if s not in sets:
        sets.append(s)
order = ["needles", "ellipses", "student", "t_mixture", "uneven", "far_modes", "two_scales", "stripes", "sine",
         "banana", "target", "thin_spiral", "8gaussians", "25gaussians", "swissroll", "2spirals", "checkerboard",
         "rings", "moons", "pinwheel", "circles"]
sets.sort(key=lambda s: order.index(s) if s in order else len(order))
methods = sorted({m for (_, _, m) in runs})


def cell(summary):
    a = summary["aggregate"][0]
    mmd = a["mmd"]
    text = "–" if mmd["mean"] is None else f"{mmd['mean']:.4f} ± {mmd['standard_error']:.4f}" if mmd["n"] > 1 \
        else f"{mmd['mean']:.4f}"
    flags = []
    if a["diverged"]:
        flags.append(f"{a['diverged']}d")
    if a["unresolved"]:
        flags.append(f"{a['unresolved']}u")
    return text + (f" ({', '.join(flags)})" if flags else "")


header = ["data set"] + [f"{m} {c}" for m in methods for c in CONFIGS]
print("| " + " | ".join(header) + " |")
print("|" + "|".join("---" for _ in header) + "|")
for s in sets:
    row = [s]
    for m in methods:
        for c in CONFIGS:
            row.append(cell(runs[(c, s, m)]) if (c, s, m) in runs else "")
    print("| " + " | ".join(row) + " |")
print()
print("| method | config | sets | seeds run | diverged seeds | sets with a diverged seed | unresolved seeds | "
      "sets mean MMD² > 0.05 | sets mean MMD² < 0.01 | max peak E / scale | max peak ‖∇‖ / scale |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for m in methods:
    for c in CONFIGS:
        keys = [(c, s, m) for s in sets if (c, s, m) in runs]
        seeds = diverged = diverged_sets = unresolved = bad = good = 0
        peak_e = peak_g = 0.0
        for k in keys:
            a = runs[k]["aggregate"][0]
            seeds += a["seeds"]
            diverged += a["diverged"]
            diverged_sets += a["diverged"] > 0
            unresolved += a["unresolved"]
            mean = a["mmd"]["mean"]
            bad += mean is None or mean > 0.05 or a["diverged"] > 0
            good += mean is not None and mean < 0.01 and a["diverged"] == 0
            for r in runs[k]["results"]:
                if r.get("status") in ("ok", "unresolved"):
                    peak_e = max(peak_e, r["peak_energy"])
                    peak_g = max(peak_g, r["peak_gradient_norm"])
        print(f"| {m} | {c} | {len(keys)} | {seeds} | {diverged} | {diverged_sets} | {unresolved} | {bad} | {good} | "
              f"{peak_e:.3g} | {peak_g:.3g} |")
print()
print("A set counts as 'mean MMD² > 0.05' also when a seed diverged (its mean would leave that seed out).")
