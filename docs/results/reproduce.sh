#!/bin/sh
# Regenerates the tables and pictures of docs/results/ (run from the repository root after
# `cmake --build build -j2 --target ember-toy2d ember-gaussian`). Every number is seeded.
set -e
bin=${BUILD:-build}/examples
work=${WORK:-/tmp/ember-results}
iters=${ITERS:-1500}
datasets=${DATASETS:-"8gaussians 25gaussians swissroll 2spirals checkerboard rings moons pinwheel circles"}
for d in $datasets; do
  "$bin/ember-toy2d" --dataset "$d" --method all --iters "$iters" --threads 2 --quiet --out "$work/$d"
  cp "$work/$d/montage.png" "docs/results/toy2d-$d.png"
  cp "$work/$d/summary.md" "docs/results/toy2d-$d.md"
done
for dim in 2 16 64; do
  for cov in identity illcond; do
    "$bin/ember-gaussian" --dim "$dim" --cov "$cov" --cond 100 --method all --out "$work/gauss-$dim-$cov" \
      > "docs/results/gaussian-$dim-$cov.txt"
    cp "$work/gauss-$dim-$cov/kl.png" "docs/results/gaussian-$dim-$cov.png"
  done
done
