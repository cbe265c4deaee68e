#!/usr/bin/env python3
"""Prints the README's combined Results tables from docs/results/*.json (written by reproduce.sh).

Run from the repository root: python3 docs/results/tables.py. The best finite value of each row is in bold;
a diverged run shows as "diverged" (its message is in the JSON)."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = ["8gaussians", "25gaussians", "swissroll", "2spirals", "checkerboard", "rings", "moons", "pinwheel", "circles"]
TOY_METHODS = ["cd", "pcd", "icd", "dcd", "dsm", "drl"]
GAUSS_METHODS = ["mle", "cd", "pcd", "icd", "dcd", "dsm", "drl"]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def cells(values, spec, bold=True, key=lambda v: v):
    """Formats one row; bold marks the smallest key (MMD² passes abs: its unbiased estimate can be < 0)."""
    finite = [v for v in values if v is not None]
    best = min(key(v) for v in finite) if finite and bold else None
    out = []
    for v in values:
        if v is None:
            out.append("diverged")
        else:
            text = spec.format(v) if abs(v) < 1e4 else "{:.1e}".format(v)  # a spurious spike
            out.append("**" + text + "**" if best is not None and key(v) == best else text)
    return out


def toy(metric, spec, datasets, bold=True, key=lambda v: v):
    rows = []
    for d in datasets:
        runs = {r["method"]: r for r in json.load(open(os.path.join(HERE, f"toy2d-{d}.json")))["results"]}
        link = f"[{d}](docs/results/toy2d-{d}.md)"
        rows.append([link] + cells([runs[m][metric] for m in TOY_METHODS], spec, bold=bold, key=key))
    return table(["data set"] + TOY_METHODS, rows)


def gauss(metric, spec, bold=True):
    rows = []
    for dim in (2, 16, 64):
        for cov in ("identity", "illcond"):
            runs = {r["method"]: r for r in json.load(open(os.path.join(HERE, f"gaussian-{dim}-{cov}.json")))}
            link = f"[D = {dim}, {cov}](docs/results/gaussian-{dim}-{cov}.md)"
            rows.append([link] + cells([runs[m][metric] for m in GAUSS_METHODS], spec, bold=bold))
    return table(["setting"] + GAUSS_METHODS, rows)


exact = ["8gaussians", "25gaussians", "checkerboard", "rings", "circles"]
print("**Held-out NLL (nats)**\n\n" + toy("nll", "{:.3f}", DATASETS) + "\n")
print("**KL(data ‖ model)** (data sets with an exact density)\n\n" + toy("kl", "{:.3f}", exact) + "\n")
print("**MMD²** (5000 model samples against 5000 held-out points; standard errors in each data set's table)\n\n"
      + toy("mmd", "{:.4f}", DATASETS, key=abs) + "\n")
print("**Seconds** (wall time, two methods at once on a shared 2-core machine)\n\n"
      + toy("seconds", "{:.1f}", DATASETS, bold=False) + "\n")
print("**Gaussians: final KL(data ‖ model)**\n\n" + gauss("kl_data_to_model", "{:.4g}") + "\n")
print("**Gaussians: seconds**\n\n" + gauss("seconds", "{:.2f}", bold=False))
