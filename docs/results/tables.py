#!/usr/bin/env python3
"""Prints the README's combined Results tables from docs/results/*.json (written by reproduce.sh).

Run from the repository root: python3 docs/results/tables.py (or `tables.py paired A B`: method A against B on each
2D set, paired by seed — the source of the README's 2D claims). Each cell is the mean ± standard error over the
seeds of that configuration (the JSON's "aggregate"). A cell is bold only where its mean beats every other method's
mean of the row by more than twice the standard error of the difference (sqrt(se_a² + se_b²)), with no seed
diverged or unresolved: a claim, not a ranking. Diverged seeds are counted, never averaged: "3/5 diverged" where some diverged, "diverged" where all did;
an NLL or KL whose quadrature did not converge is left out of the mean and counted as unresolved."""
import json
import math
import os
import sys

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
        # older single-run files predate the "unresolved" rule: apply ember-toy2d's bounds to their own checks
        unresolved = (r.get("log_z_refinement_difference") or 0) > 0.01 or (r.get("edge_mass") or 0) > 0.01
        a = {"method": r["method"], "seeds": 1, "diverged": int(r.get("status", "ok") != "ok"),
             "unresolved": int(unresolved)}
        for key, value in r.items():
            if unresolved and key in ("nll", "kl"):
                continue
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
            n = aggregates[best][metric].get("n", 1)
            # one seed claims nothing, and a method that lost seeds is not the row's winner
            complete = n > 1 and aggregates[best].get("diverged", 0) == 0 and n == aggregates[best].get("seeds", 1)
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
        row = [link] + cells([runs[m] for m in TOY_METHODS], metric, spec, bold=bold, key=key, spread=spread)
        if metric == "mmd":  # DRL's own samples (progressive sampling down its levels), not ranked with the rest
            drl = runs["drl"]
            row += cells([dict(drl, mmd=drl.get("generated_mmd"))], metric, spec, bold=False, key=key, spread=spread)
        rows.append(row)
    return table(["data set"] + TOY_METHODS + (["drl, its samples"] if metric == "mmd" else []), rows)


GAUSS_SETTINGS = [(f"{dim}-{cov}", f"D = {dim}, {cov}") for dim in (2, 16, 64) for cov in ("identity", "illcond")]
GAUSS_SETTINGS.append(("12-file", "D = 12, cond 30, file"))


def load(name):
    return json.load(open(os.path.join(HERE, name)))


def per_seed(summary, method, metric="kl_data_to_model"):
    """{seed: value or None (diverged)} of one method in a --seeds summary."""
    return {r["seed"]: r.get(metric) for r in summary["results"] if r["method"] == method}


def mean_se(values):
    n = len(values)
    mean = sum(values) / n
    se = (sum((v - mean) ** 2 for v in values) / (n - 1) / n) ** 0.5 if n > 1 else float("nan")
    return mean, se


def paired(a, b):
    """Mean and standard error of the per-seed difference a − b (the seeds share their training sample); None when
    a seed diverged in either."""
    if any(a[s] is None or b.get(s) is None for s in a):
        return None
    return mean_se([a[s] - b[s] for s in a])


def fmt(v):
    if v is None:
        return "–"
    return "{:.1e}".format(v) if abs(v) >= 1e4 else "{:.3g}".format(v)


def gauss_cell(agg, target=None):
    """mean ± se; the diverged seeds counted; ✗ where the mean misses the target (2 × mle + 0.05)."""
    k = agg["kl_data_to_model"]
    if k is None or k.get("mean") is None:
        return f"diverged ({agg['diverged']}/{agg['seeds']})"
    text = f"{fmt(k['mean'])} ± {fmt(k['standard_error'])}"
    if agg["diverged"]:
        text += f" ({agg['diverged']}/{agg['seeds']} diverged)"
    if target is not None and k["mean"] > target:
        text += " ✗"
    return text


def gauss_kl(suffix="", methods=GAUSS_METHODS):
    rows = []
    for name, label in GAUSS_SETTINGS:
        s = load(f"gaussian-{name}{suffix}.json")
        aggs = {a["method"]: a for a in s["aggregate"]}
        target = 2 * aggs["mle"]["kl_data_to_model"]["mean"] + 0.05 if "mle" in aggs else None
        link = f"[{label}](docs/results/gaussian-{name}{suffix}.md)"
        rows.append([link] + [gauss_cell(aggs[m], target if m != "mle" else None) for m in methods])
    return table(["setting"] + methods, rows)


def gauss_seconds():
    rows = []
    for name, label in GAUSS_SETTINGS:
        aggs = {a["method"]: a for a in load(f"gaussian-{name}.json")["aggregate"]}
        rows.append([label] + ["{:.2f}".format(aggs[m]["seconds"]["mean"]) if aggs[m]["seconds"]["mean"] is not None
                               else "–" for m in GAUSS_METHODS])
    return table(["setting"] + GAUSS_METHODS, rows)


def seeds_cell(kl):
    """mean ± standard error of one method's per-seed KLs ({seed: value}), or "diverged" if a seed has none."""
    if any(v is None for v in kl.values()):
        return "diverged"
    mean, se = mean_se(list(kl.values()))
    return f"{fmt(mean)} ± {fmt(se)}"


def diff_cell(d):
    if d is None:
        return "–"
    mean, se = d
    mark = " *" if abs(mean) > 2 * se else ""
    return f"{mean:+.3g} ± {se:.2g}{mark}"


def gauss_ablations():
    """Improved CD against PCD on the same chains (both in order with MALA since session 21) and CD, its entropy
    weight d (the default since session 21) against Du et al.'s 0.3; DCD's exact posterior against ULA; each method's paired difference from mle."""
    rows = []
    for name, label in GAUSS_SETTINGS:
        s = load(f"gaussian-{name}.json")
        icd_03 = load(f"gaussian-ablations/gaussian-{name}-icd-ent03.json")  # the default weight is d since session 21
        ula = load(f"gaussian-ablations/gaussian-{name}-dcd-ula.json")
        kl = {m: per_seed(s, m) for m in GAUSS_METHODS}
        kl_icd_03, kl_ula = per_seed(icd_03, "icd"), per_seed(ula, "dcd")
        # improved CD's like-for-like baseline is PCD on the same chains: both default to in-order chains moved by MALA.
        rows.append([label, diff_cell(paired(kl["icd"], kl["pcd"])), diff_cell(paired(kl["icd"], kl["cd"])),
                     seeds_cell(kl_icd_03), diff_cell(paired(kl["icd"], kl_icd_03)),
                     diff_cell(paired(kl["dcd"], kl["mle"])), seeds_cell(kl_ula), diff_cell(paired(kl_ula, kl["dcd"]))])
    return table(["setting", "icd − pcd (same chains)", "icd − cd", "icd, entropy weight 0.3", "(weight d) − (weight 0.3)",
                  "dcd (exact) − mle", "dcd, ULA", "ULA − exact"], rows)


def gauss_replaced():
    """The defaults of 6 Dec (session 15) against the settings they replace, paired by seed: PCD's in-order chains
    against the sampled replay buffer; DRL's exact posterior on two levels against five levels (exact) and against
    the old ULA sampler on five; DSM's antithetic noise against one draw per point."""
    rows = []
    for name, label in GAUSS_SETTINGS:
        s = load(f"gaussian-{name}.json")
        kl = {m: per_seed(s, m) for m in GAUSS_METHODS}
        old = lambda suffix, method: per_seed(load(f"gaussian-ablations/gaussian-{name}-{suffix}.json"), method)
        pcd, drl5, drl_ula, dsm = old("pcd-sampled", "pcd"), old("drl-5levels", "drl"), old("drl-ula", "drl"), \
            old("dsm-independent", "dsm")
        rows.append([label, seeds_cell(pcd), diff_cell(paired(kl["pcd"], pcd)), seeds_cell(drl5),
                     seeds_cell(drl_ula), diff_cell(paired(kl["drl"], drl_ula)), seeds_cell(dsm),
                     diff_cell(paired(kl["dsm"], dsm))])
    return table(["setting", "pcd, sampled buffer", "in-order − sampled", "drl, exact, 5 levels", "drl, ULA, 5 levels",
                  "drl: default − ULA 5 levels", "dsm, one draw", "antithetic − one draw"], rows)


def gauss_mala_fixed():
    """CD's and PCD's MALA step tuned toward 0.574 acceptance over the whole run (--mala-adapt on, the default since
    session 20) against the fixed step f λ̂_min (--mala-adapt off), paired by seed."""
    rows = []
    for name, label in GAUSS_SETTINGS:
        s = load(f"gaussian-{name}.json")
        row = [label]
        for m in ("cd", "pcd"):
            fixed = per_seed(load(f"gaussian-ablations/gaussian-{name}-{m}-mala-fixed.json"), m)
            row += [seeds_cell(fixed), diff_cell(paired(per_seed(s, m), fixed))]
        rows.append(row)
    return table(["setting", "cd, fixed step", "cd: tuned − fixed", "pcd, fixed step", "pcd: tuned − fixed"], rows)


def gauss_icd():
    """Improved CD's defaults since session 21 (in-order chains, the first K − 1 steps by MALA) against Du et al.'s
    form (replay buffer, ULA throughout) and against each change alone, paired by seed."""
    rows = []
    for name, label in GAUSS_SETTINGS:
        s = load(f"gaussian-{name}.json")
        row = [label]
        for suffix in ("icd-du", "icd-ula", "icd-sampled"):
            other = per_seed(load(f"gaussian-ablations/gaussian-{name}-{suffix}.json"), "icd")
            row += [seeds_cell(other), diff_cell(paired(per_seed(s, "icd"), other))]
        rows.append(row)
    return table(["setting", "icd, Du et al. (buffer, ULA)", "default − Du et al.", "icd, in order, ULA",
                  "default − ULA", "icd, buffer, MALA", "default − buffer"], rows)


def gauss_unscaled():
    """Training on the standard scores (the default since session 16) against training on the data as given
    (--standardize off), every method, paired by seed: the data-as-given KL (✗ against its own target) and the
    difference default − as given."""
    rows = []
    for name, label in GAUSS_SETTINGS:
        s = load(f"gaussian-{name}.json")
        u = load(f"gaussian-ablations/gaussian-{name}-unscaled.json")
        aggs = {a["method"]: a for a in u["aggregate"]}
        target = 2 * aggs["mle"]["kl_data_to_model"]["mean"] + 0.05
        rows.append([label] + [gauss_cell(aggs[m], target if m != "mle" else None) + "; "
                               + diff_cell(paired(per_seed(s, m), per_seed(u, m))) for m in GAUSS_METHODS])
    return table(["setting"] + GAUSS_METHODS, rows)


def toy_paired(a, b):
    """Method a against method b on each 2D set, paired by seed over the seeds where both kept a value (NLL and KL
    need a converged quadrature, MMD² a completed run): mean difference a − b ± its standard error, * beyond 2 SE."""
    rows = []
    for d in DATASETS:
        runs = json.load(open(os.path.join(HERE, f"toy2d-{d}.json")))["results"]
        row = [d]
        for metric in ("nll", "mmd", "kl"):
            by = {m: {r["seed"]: r.get(metric) for r in runs if r["method"] == m and r.get("status") in ("ok", "unresolved")}
                  for m in (a, b)}
            seeds = [s for s in by[a] if by[a][s] is not None and by[b].get(s) is not None]
            if len(seeds) < 2:
                row.append("–")
                continue
            mean, se = mean_se([by[a][s] - by[b][s] for s in seeds])
            row.append(f"{mean:+.3g} ± {se:.2g}{' *' if abs(mean) > 2 * se else ''} ({len(seeds)})")
        rows.append(row)
    return table(["data set", f"NLL {a} − {b} (seeds)", f"MMD² {a} − {b}", f"KL {a} − {b}"], rows)


STRESS = ["needles", "ellipses", "student", "t_mixture", "uneven", "far_modes", "two_scales", "stripes", "sine",
          "banana", "target", "thin_spiral"]


def stress():
    """The stress suite at five seeds (docs/results/stress/<set>.json, ember-toy2d --method all --seeds 5): MMD² mean
    ± standard error per set and method, DRL's own samples beside it, then per method the sets failing (mean > 0.05
    or a lost seed) and below 0.01, over the 12 stress sets and with the classic nine (toy2d-<set>.json)."""
    rows, counts = [], {}
    for group, names, path in (("stress", STRESS, "stress/{}.json"), ("classic", DATASETS, "toy2d-{}.json")):
        for d in names:
            runs = summaries(json.load(open(os.path.join(HERE, path.format(d)))))
            drl = runs["drl"]
            readings = {m: runs[m] for m in TOY_METHODS}
            readings["drl, its samples"] = dict(drl, mmd=drl.get("generated_mmd"))
            for m, a in readings.items():
                mean = (a.get("mmd") or {}).get("mean")
                lost = a.get("diverged", 0)
                fail, below = mean is None or mean > 0.05 or lost > 0, mean is not None and mean < 0.01 and lost == 0
                c = counts.setdefault(m, {"stress": [0, 0], "classic": [0, 0]})
                c[group][0] += fail
                c[group][1] += below
            if group == "stress":
                rows.append([d] + cells(list(readings.values()), "mmd", "{:.4f}", bold=False, key=abs))
    out = table(["data set"] + TOY_METHODS + ["drl, its samples"], rows) + "\n\n"
    out += table(["method", "failing, 12 stress sets", "below 0.01, 12 stress sets", "failing, all 21", "below 0.01, all 21"],
                 [[m, str(c["stress"][0]), str(c["stress"][1]), str(c["stress"][0] + c["classic"][0]),
                   str(c["stress"][1] + c["classic"][1])] for m, c in counts.items()])
    return out


if __name__ == "__main__" and len(sys.argv) == 2 and sys.argv[1] == "stress":
    print(stress())  # python3 docs/results/tables.py stress
elif __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "paired":
    print(toy_paired(sys.argv[2], sys.argv[3]))  # python3 docs/results/tables.py paired dcd cd
elif __name__ == "__main__":
    exact = ["8gaussians", "25gaussians", "checkerboard", "rings", "circles"]
    print("**Held-out NLL (nats)**\n\n" + toy("nll", "{:.3f}", DATASETS) + "\n")
    print("**KL(data ‖ model)** (data sets with an exact density)\n\n" + toy("kl", "{:.3f}", exact) + "\n")
    print("**MMD²** (the first 2500 of 5000 model samples against the first 2500 of the 5000 held-out points)\n\n"
          + toy("mmd", "{:.4f}", DATASETS, key=abs) + "\n")
    print("**Seconds per run** (wall time, two runs at once on a shared 2-core machine)\n\n"
          + toy("seconds", "{:.1f}", DATASETS, bold=False, spread=False) + "\n")
    print("**Gaussians: final KL(data ‖ model)** (defaults; mean ± standard error over 5 seeds; ✗: above the target "
          "2 × mle + 0.05)\n\n" + gauss_kl() + "\n")
    print("**Gaussians: paired differences of final KL** (per seed, then mean ± standard error over 5 seeds; * where "
          "|mean| > 2 standard errors)\n\n" + gauss_ablations() + "\n")
    print("**Gaussians: the defaults of 6 Dec against the settings they replace** (final KL, mean ± standard error; "
          "paired differences per seed, * where |mean| > 2 standard errors)\n\n" + gauss_replaced() + "\n")
    print("**Gaussians: MALA's step tuned all run long (`--mala-adapt on`, the default) against the fixed step** (final "
          "KL, mean ± standard error; paired differences per seed, * where |mean| > 2 standard errors)\n\n"
          + gauss_mala_fixed() + "\n")
    print("**Gaussians: improved CD's defaults (in-order chains, MALA for the first K − 1 steps) against Du et al.'s "
          "form and each change alone** (final KL, mean ± standard error; paired differences per seed, * where |mean| > "
          "2 standard errors)\n\n" + gauss_icd() + "\n")
    print("**Gaussians: the data as given (`--standardize off`) against its standard scores (the default)** (final KL, "
          "mean ± standard error, ✗ above that run's own target; then the paired difference default − as given, * where "
          "|mean| > 2 standard errors)\n\n" + gauss_unscaled() + "\n")
    print("**Gaussians: final KL with --tune** (each method picks its learning rate on a validation split)\n\n"
          + gauss_kl("-tune") + "\n")
    print("**Gaussians: final KL with the old settings** (`--optimizer sgd --lr-decay none --dcd-posterior ula "
          "--dsm-weighting none --sampler ula --pcd-chains sampled --icd-chains sampled --drl-posterior ula --drl-levels 0,100,200,300,999 "
          "--dsm-noise independent --standardize off`)\n\n" + gauss_kl("-old") + "\n")
    print("**Gaussians: seconds** (mean over seeds; two runs at once on a shared 2-core machine)\n\n" + gauss_seconds())
