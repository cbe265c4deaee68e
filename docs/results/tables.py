#!/usr/bin/env python3
"""Prints the README's combined Results tables from docs/results/*.json (written by reproduce.sh).

Run from the repository root: python3 docs/results/tables.py. Each cell is the mean ± standard error over the
seeds of that configuration (the JSON's "aggregate"). A cell is bold only where its mean beats every other method's
mean of the row by more than twice the standard error of the difference (sqrt(se_a² + se_b²)), with no seed
diverged or unresolved: a claim, not a ranking. Diverged seeds are counted, never averaged: "3/5 diverged" where some diverged, "diverged" where all did;
an NLL or KL whose quadrature did not converge is left out of the mean and counted as unresolved."""
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = ["8gaussians", "25gaussians", "swissroll", "2spirals", "checkerboard", "rings", "moons", "pinwheel", "circles"]
TOY_METHODS = ["cd", "pcd", "icd", "dcd", "dsm", "drl"]
GAUSS_METHODS = ["mle", "cd", "pcd", "icd", "dcd", "dsm", "drl"]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def summaries(document):
    """{method: aggregate} from a summary.json, multi-seed or single-run (then the standard error is unknown)."""
    if isinstance(document, dict) and "aggregate" in document:
        return {a["method"]: a for a in document["aggregate"]}
    runs = document["results"] if isinstance(document, dict) else document
    out = {}
    for r in runs:
        a = {"method": r["method"], "seeds": 1, "diverged": int(r.get("status", "ok") != "ok"), "unresolved": 0}
        for key, value in r.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                a[key] = {"mean": value, "standard_error": 0.0, "n": 1, "missing": 0}
        out[r["method"]] = a
    return out


def number(v, spec):
    return spec.format(v) if abs(v) < 1e4 else "{:.1e}".format(v)  # a spurious spike stays readable


def cells(aggregates, metric, spec, bold=True, key=lambda v: v, spread=True):
    """One row. `key` orders means (MMD² passes abs: its unbiased estimate can be < 0)."""
    stats = []
    for a in aggregates:
        m = a.get(metric)
        ok = m is not None and m.get("n", 0) > 0 and m.get("mean") is not None
        stats.append((key(m["mean"]), m.get("standard_error") or 0.0) if ok else None)
    winner = None
    if bold:
        finite = [i for i, s in enumerate(stats) if s is not None]
        if len(finite) > 1:
            best = min(finite, key=lambda i: stats[i][0])
            complete = aggregates[best].get("diverged", 0) == 0 and aggregates[best][metric].get("n", 1) == \
                aggregates[best].get("seeds", 1)  # a method that lost seeds is not the row's winner
            if complete and all(stats[j][0] - stats[best][0] > 2 * math.hypot(stats[j][1], stats[best][1])
                   for j in finite if j != best):
                winner = best
    out = []
    for i, a in enumerate(aggregates):
        seeds, diverged = a.get("seeds", 1), a.get("diverged", 0)
        m = a.get(metric)
        if stats[i] is None:
            if diverged == seeds:
                out.append("diverged")
            elif metric in ("nll", "kl") and a.get("unresolved", 0) > 0:
                out.append("unresolved")
            else:
                out.append("–")
            continue
        text = number(m["mean"], spec)
        if spread and m.get("n", 1) > 1:
            text += " ± " + number(m["standard_error"], spec)
        if i == winner:
            text = "**" + text + "**"
        notes = []
        if diverged:
            notes.append(f"{diverged}/{seeds} diverged")
        if metric in ("nll", "kl") and m.get("n", 1) + diverged < seeds:
            notes.append(f"{seeds - diverged - m.get('n', 1)}/{seeds} unresolved")
        if notes:
            text += " (" + ", ".join(notes) + ")"
        out.append(text)
    return out


def toy(metric, spec, datasets, bold=True, key=lambda v: v, spread=True):
    rows = []
    for d in datasets:
        runs = summaries(json.load(open(os.path.join(HERE, f"toy2d-{d}.json"))))
        link = f"[{d}](docs/results/toy2d-{d}.md)"
        rows.append([link] + cells([runs[m] for m in TOY_METHODS], metric, spec, bold=bold, key=key,
                                          spread=spread))
    return table(["data set"] + TOY_METHODS, rows)


def gauss(metric, spec, bold=True, spread=True):
    rows = []
    for dim in (2, 16, 64):
        for cov in ("identity", "illcond"):
            runs = summaries(json.load(open(os.path.join(HERE, f"gaussian-{dim}-{cov}.json"))))
            link = f"[D = {dim}, {cov}](docs/results/gaussian-{dim}-{cov}.md)"
            rows.append([link] + cells([runs[m] for m in GAUSS_METHODS], metric, spec, bold=bold, spread=spread))
    return table(["setting"] + GAUSS_METHODS, rows)


if __name__ == "__main__":
    exact = ["8gaussians", "25gaussians", "checkerboard", "rings", "circles"]
    print("**Held-out NLL (nats)**\n\n" + toy("nll", "{:.3f}", DATASETS) + "\n")
    print("**KL(data ‖ model)** (data sets with an exact density)\n\n" + toy("kl", "{:.3f}", exact) + "\n")
    print("**MMD²** (5000 model samples against 5000 held-out points)\n\n"
          + toy("mmd", "{:.4f}", DATASETS, key=abs) + "\n")
    print("**Seconds per run** (wall time, two runs at once on a shared 2-core machine)\n\n"
          + toy("seconds", "{:.1f}", DATASETS, bold=False, spread=False) + "\n")
    print("**Gaussians: final KL(data ‖ model)**\n\n" + gauss("kl_data_to_model", "{:.4g}") + "\n")
    print("**Gaussians: seconds**\n\n" + gauss("seconds", "{:.2f}", bold=False, spread=False))
