#!/usr/bin/env python3
"""Publication figures (PDF, vector) from the example programs' output files, with matplotlib.

The programs draw their own PNGs (no Python needed); this script redraws the same data from the files they
write, for papers and slides:

    python3 examples/plot_outputs.py ember-out             # ember-toy2d, one method: density.npy, samples.npy
    python3 examples/plot_outputs.py ember-out-all         # ember-toy2d --method all: each method's density.npy
    python3 examples/plot_outputs.py gauss16               # ember-gaussian --method all: summary.json's KL curves
    python3 examples/plot_outputs.py ember-out/rbm         # ember-rbm: log_likelihood.csv

It writes DIR/figure.pdf (or --out FILE) and prints the path. Needs numpy and matplotlib (Debian:
python3-numpy, python3-matplotlib).
"""
import argparse
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HALF_WIDTH = 4.5  # density.npy covers [-4.5, 4.5]^2; entry [i, j] is p at x = cell i, y = cell j


def density_axes(ax, density, title, vmax):
    image = ax.imshow(density.T, origin="lower", extent=[-HALF_WIDTH, HALF_WIDTH] * 2, vmin=0, vmax=vmax,
                      cmap="viridis", interpolation="nearest")
    ax.set_title(title)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return image


def toy2d(directory, out):
    if os.path.exists(os.path.join(directory, "density.npy")):  # one method
        metrics = json.load(open(os.path.join(directory, "metrics.json")))
        density = np.load(os.path.join(directory, "density.npy"))
        samples = np.load(os.path.join(directory, "samples.npy"))
        fig, (a, b) = plt.subplots(1, 2, figsize=(9, 4), constrained_layout=True)
        image = density_axes(a, density, f"{metrics['dataset']}: {metrics['method']} density", density.max())
        b.hist2d(samples[:, 0], samples[:, 1], bins=90, range=[[-HALF_WIDTH, HALF_WIDTH]] * 2, density=True,
                 vmin=0, vmax=density.max(), cmap="viridis")
        b.set_title(f"{len(samples)} samples (histogram)")
        b.set_xlabel("x")
        b.set_aspect("equal")
        fig.colorbar(image, ax=[a, b], label="density p(x, y)")
    else:  # --method all
        summary = json.load(open(os.path.join(directory, "summary.json")))
        panels = []
        for r in summary["results"]:
            path = os.path.join(directory, r["method"], "density.npy")
            if r.get("error") is None and os.path.exists(path):
                panels.append((r, np.load(path)))
        if not panels:
            sys.exit(f"plot_outputs.py: no density.npy under {directory}")
        vmax = max(d.max() for _, d in panels)
        fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels) + 1, 3), constrained_layout=True,
                                 squeeze=False)
        for ax, (r, d) in zip(axes[0], panels):
            kl = f", KL {r['kl']:.3g}" if r.get("kl") is not None else ""
            image = density_axes(ax, d, f"{r['method']}{kl}", vmax)
        fig.suptitle(f"{summary['dataset']}: learned densities, {summary['iters']} updates per method")
        fig.colorbar(image, ax=axes[0].tolist(), label="density p(x, y), one scale")
    fig.savefig(out)


def gaussian(directory, out):
    summary = json.load(open(os.path.join(directory, "summary.json")))
    runs = summary["results"] if isinstance(summary, dict) else summary  # older outputs: a bare list
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for r in runs:
        curve = r.get("kl_curve")
        if curve and curve["iters"]:
            ax.plot(curve["iters"], curve["kl"], label=r["method"])
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("KL(data \u2016 model) (nats)")
    ax.set_title("Gaussian data: KL during training")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))  # outside the curves
    fig.savefig(out)


def rbm(directory, out):
    rows = list(csv.DictReader(open(os.path.join(directory, "log_likelihood.csv"))))
    epochs = [int(r["epoch"]) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for key, name in (("cd1", "CD-1"), ("cd10", "CD-10"), ("pcd", "PCD-1")):
        ax.plot(epochs, [float(r[key]) for r in rows], label=name)
    ax.axhline(-16 * np.log(2), ls="--", color="grey", label="uniform model")
    ax.axhline(np.log(1 / 30), ls=":", color="black", label="best possible, log(1/30)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("exact average log-likelihood (nats)")
    ax.set_title("RBM on 4x4 bars-and-stripes")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.savefig(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--out", help="output file (default: DIRECTORY/figure.pdf)")
    args = parser.parse_args()
    d = args.directory
    out = args.out or os.path.join(d, "figure.pdf")
    if os.path.exists(os.path.join(d, "log_likelihood.csv")):
        rbm(d, out)
    elif os.path.exists(os.path.join(d, "density.npy")) or (
            os.path.exists(os.path.join(d, "summary.json")) and "dataset" in json.load(open(os.path.join(d, "summary.json")))):
        toy2d(d, out)
    elif os.path.exists(os.path.join(d, "summary.json")):
        gaussian(d, out)
    else:
        sys.exit(f"plot_outputs.py: {d} has none of density.npy, summary.json, log_likelihood.csv")
    print(out)


if __name__ == "__main__":
    main()
