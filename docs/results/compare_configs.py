#!/usr/bin/env python3
"""Compares two configurations of docs/results/robustness/ (written by robustness.sh) method by method, paired
by seed: lost seeds (diverged, collapsed or stalled), sets whose mean MMD² exceeds 0.05 (or that lost a seed),
sets below 0.01, and the sets where the paired MMD² difference (B − A over the seeds both kept) exceeds two
standard errors. A markdown table on stdout.

Usage: python3 docs/results/compare_configs.py A B [methods...]   e.g. cosine mala cd pcd dcd drl
"""
import json
import math
import os
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "robustness")
ORDER = ["needles", "ellipses", "student", "t_mixture", "uneven", "far_modes", "two_scales", "stripes", "sine",
         "banana", "target", "thin_spiral", "8gaussians", "25gaussians", "swissroll", "2spirals", "checkerboard",
         "rings", "moons", "pinwheel", "circles"]


def load(config, data_set, method):
    path = os.path.join(HERE, config, f"{data_set}-{method}.json")
    return json.load(open(path)) if os.path.exists(path) else None


def lost(summary):
    return sum(r.get("status") not in ("ok", "unresolved") for r in summary["results"])


def mmd_by_seed(summary):
    return {r["seed"]: r["mmd"] for r in summary["results"] if r.get("status") in ("ok", "unresolved")}


def bad(summary):
    mean = summary["aggregate"][0]["mmd"]["mean"]
    return lost(summary) > 0 or mean is None or mean > 0.05


def good(summary):
    mean = summary["aggregate"][0]["mmd"]["mean"]
    return lost(summary) == 0 and mean is not None and mean < 0.01


def main():
    a, b = sys.argv[1], sys.argv[2]
    methods = sys.argv[3:] or ["cd", "pcd", "icd", "dcd", "dsm", "drl"]
    print(f"| method | sets | seeds | lost seeds: {a} → {b} | sets with mean MMD² > 0.05 or a lost seed | "
          f"sets with mean MMD² < 0.01 | lower MMD² with {b} (> 2 SE) | higher with {b} (> 2 SE) |")
    print("|---|---|---|---|---|---|---|---|")
    for m in methods:
        pairs = [(s, load(a, s, m), load(b, s, m)) for s in ORDER]
        pairs = [(s, x, y) for s, x, y in pairs if x is not None and y is not None]
        if not pairs:
            continue
        lower, higher = [], []
        for s, x, y in pairs:
            mx, my = mmd_by_seed(x), mmd_by_seed(y)
            d = [my[k] - mx[k] for k in mx if k in my]
            if len(d) < 2:
                continue
            mean = sum(d) / len(d)
            se = math.sqrt(sum((v - mean) ** 2 for v in d) / (len(d) - 1) / len(d))
            if abs(mean) > 2 * se:
                (lower if mean < 0 else higher).append(f"{s} {mean:+.3f} ± {se:.3f}")
        seeds = sum(len(x["results"]) for _, x, _ in pairs)
        print(f"| {m} | {len(pairs)} | {seeds} | {sum(lost(x) for _, x, _ in pairs)} → "
              f"{sum(lost(y) for _, _, y in pairs)} | {sum(bad(x) for _, x, _ in pairs)} → "
              f"{sum(bad(y) for _, _, y in pairs)} | {sum(good(x) for _, x, _ in pairs)} → "
              f"{sum(good(y) for _, _, y in pairs)} | {', '.join(lower) or '–'} | {', '.join(higher) or '–'} |")


if __name__ == "__main__":
    main()
