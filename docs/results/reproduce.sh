#!/bin/sh
# Regenerates the tables and pictures of docs/results/ (run from the repository root after
# `cmake --build build -j2 --target ember-toy2d ember-gaussian`). Every number is seeded.
# Every configuration runs SEEDS seeds (default 5: seeds 0..4; tables show mean ± standard error and the worst seed).
# DATASETS, DIMS, ITERS and SEEDS narrow a run; WORK is where the full outputs (per-seed directories, JSON) go.
set -e
bin=${BUILD:-build}/examples
work=${WORK:-/tmp/ember-results}
iters=${ITERS:-1500}
seeds=${SEEDS:-5}
datasets=${DATASETS:-"8gaussians 25gaussians swissroll 2spirals checkerboard rings moons pinwheel circles"}
dims=${DIMS:-"2 16 64"}
for d in $datasets; do
  "$bin/ember-toy2d" --dataset "$d" --method all --iters "$iters" --seeds "$seeds" --threads 2 --quiet --out "$work/$d"
  cp "$work/$d/montage.png" "docs/results/toy2d-$d.png"
  cp "$work/$d/summary.md" "docs/results/toy2d-$d.md"
  cp "$work/$d/summary.json" "docs/results/toy2d-$d.json"
done
for dim in $dims; do
  for cov in identity illcond; do
    "$bin/ember-gaussian" --dim "$dim" --cov "$cov" --cond 100 --method all --seeds "$seeds" --threads 2 --out "$work/gauss-$dim-$cov" > /dev/null
    cp "$work/gauss-$dim-$cov/summary.md" "docs/results/gaussian-$dim-$cov.md"
    cp "$work/gauss-$dim-$cov/summary.json" "docs/results/gaussian-$dim-$cov.json"
    cp "$work/gauss-$dim-$cov/kl.png" "docs/results/gaussian-$dim-$cov.png"
  done
done
