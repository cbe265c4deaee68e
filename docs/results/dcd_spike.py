#!/usr/bin/python3
"""Reads an ember-toy2d checkpoint of a DCD run on 25gaussians (MLP {2, 128, 128}, SiLU, linear output, base
‖x‖²/32) and measures what robustness.md's "DCD's spikes" reports: the energy at the 25 mode centres and around its
minimum, and where ten ULA steps (ε = 0.01) on the tethered posterior (VP noise s = 0.2) leave chains started at
x̃/a and at the datum, for 4000 points of the mode nearest the minimum. float64 throughout; needs NumPy.

Usage (from the repository root, after `cmake --build build --target ember-toy2d`):
    build/examples/ember-toy2d --dataset 25gaussians --method dcd --seed 0 --checkpoint /tmp/dcd.ckpt --out /tmp/dcd
    /usr/bin/python3 docs/results/dcd_spike.py /tmp/dcd.ckpt
"""
import struct
import sys

import numpy as np


def read_checkpoint(path):
    """The entries of an ember checkpoint (format: include/ember/io/checkpoint.hpp) as NumPy arrays."""
    data = open(path, "rb").read()
    if data[:8] != b"EMBERCKP":
        sys.exit(f"{path}: not an ember checkpoint")
    offset = 32
    (count,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    entries = {}
    for _ in range(count):
        (length,) = struct.unpack_from("<I", data, offset)
        offset += 4
        name = data[offset:offset + length].decode()
        offset += length
        kind = data[offset]
        offset += 1
        rows, cols = struct.unpack_from("<QQ", data, offset)
        offset += 16
        dtype, size = {1: ("<u8", 8), 2: ("<f4", 4), 3: ("<f8", 8)}[kind]
        entries[name] = np.frombuffer(data, dtype=dtype, count=rows * cols, offset=offset).reshape((cols, rows)).T
        offset += rows * cols * size
    return entries


def energy_of(params, widths=(2, 128, 128, 1), base_scale=4.0):
    """E(x) of MlpEnergy: per layer W (column-major, h × h_prev) then b; SiLU between layers; linear output."""
    weights, offset = [], 0
    for h_prev, h in zip(widths[:-1], widths[1:]):
        w = params[offset:offset + h * h_prev].reshape((h_prev, h)).T
        offset += h * h_prev
        weights.append((w, params[offset:offset + h]))
        offset += h
    if offset != len(params):
        sys.exit(f"the checkpoint has {len(params)} parameters, widths {widths} need {offset}")

    def energy(x):
        h = x
        for w, b in weights[:-1]:
            z = h @ w.T + b
            h = z / (1 + np.exp(-z))
        w, b = weights[-1]
        return (h @ w.T + b).ravel() + (x ** 2).sum(1) / (2 * base_scale ** 2)
    return energy


def gradient(energy, x, eps=1e-5):
    g = np.zeros_like(x)
    for k in range(x.shape[1]):
        d = np.zeros_like(x)
        d[:, k] = eps
        g[:, k] = (energy(x + d) - energy(x - d)) / (2 * eps)
    return g


def main():
    energy = energy_of(read_checkpoint(sys.argv[1])["params"].ravel().astype(np.float64))
    axis = np.linspace(-4.5, 4.5, 721)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    values = energy(grid)
    centre = grid[values.argmin()]
    print(f"minimum E {values.min():.2f} at ({centre[0]:.3f}, {centre[1]:.3f}); median over [-4.5, 4.5]^2 "
          f"{np.median(values):.2f}")
    modes = np.array([(a, b) for a in range(-2, 3) for b in range(-2, 3)], float)
    print("E at the mode centres (rows x = -2..2, columns y = -2..2):")
    print(np.round(energy(modes), 1).reshape(5, 5))
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    for r in (0.01, 0.05, 0.1, 0.2):
        ring = centre + r * np.c_[np.cos(angles), np.sin(angles)]
        print(f"mean E at distance {r} from the minimum: {energy(ring).mean():.2f}")
    rng = np.random.default_rng(0)
    mode = modes[np.argmin(((modes - centre) ** 2).sum(1))]
    x = mode + 0.1 * rng.standard_normal((4000, 2))
    s, step = 0.2, 0.01
    a = np.sqrt(1 - s * s)
    noisy = a * x + s * rng.standard_normal(x.shape)
    print(f"data of the mode at {mode}: mean E {energy(x).mean():.2f}; median |grad E| "
          f"{np.median(np.linalg.norm(gradient(energy, x), axis=1)):.1f}")
    for start_name, start in (("x~/a", noisy / a), ("the datum", x.copy())):
        z, first = start, None
        for _ in range(10):
            move = -0.5 * step * (gradient(energy, z) + (a / (s * s)) * (a * z - noisy))
            move += np.sqrt(step) * rng.standard_normal(z.shape)
            if first is None:
                first = np.linalg.norm(move, axis=1)
            z = z + move
        print(f"ten ULA steps from {start_name}: negatives' mean E {energy(z).mean():.2f}; first step's length "
              f"median {np.median(first):.2f}; within 0.05 of the minimum: "
              f"{(np.linalg.norm(z - centre, axis=1) < 0.05).mean():.4f} (data: "
              f"{(np.linalg.norm(x - centre, axis=1) < 0.05).mean():.4f})")


if __name__ == "__main__":
    main()
