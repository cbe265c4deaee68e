#!/usr/bin/env python3
"""Writes the 12-D Gaussian data set of issue 16 (standard library only, seeded): 5000 points of N(m, Σ) with
Σ = Q diag(λ) Qᵀ, Q a random rotation (Gram–Schmidt of a Gaussian matrix), λ log-spaced from 30^-1/2 to 30^1/2
(condition number 30) and a random mean m with entries uniform in [-3, 3]. Usage: gaussian12.py OUT.csv"""
import math
import random
import sys

d, n, cond = 12, 5000, 30.0
rng = random.Random(16)
a = [[rng.gauss(0, 1) for _ in range(d)] for _ in range(d)]
q = []
for v in a:  # Gram–Schmidt: q holds orthonormal rows
    for u in q:
        dot = sum(x * y for x, y in zip(v, u))
        v = [x - dot * y for x, y in zip(v, u)]
    norm = math.sqrt(sum(x * x for x in v))
    q.append([x / norm for x in v])
lam = [cond ** (-0.5 + k / (d - 1)) for k in range(d)]
mean = [rng.uniform(-3, 3) for _ in range(d)]
with open(sys.argv[1], "w") as f:
    f.write(",".join(f"x{k}" for k in range(d)) + "\n")
    for _ in range(n):
        z = [rng.gauss(0, 1) * math.sqrt(l) for l in lam]
        x = [mean[j] + sum(z[k] * q[k][j] for k in range(d)) for j in range(d)]
        f.write(",".join(f"{v:.6f}" for v in x) + "\n")
