#!/bin/sh
# Issue 16 item 2: does the energy² penalty (--energy-reg 0.1) keep default runs from blowing up, and what does it
# cost? Every stress set and built-in set at the default budget (1500 Adam updates, lr 1e-2, 10 sampler steps),
# seeds 0-2, the methods given (default: cd dcd), default settings against --energy-reg 0.1. Run outputs go to
# $RUNS (default /tmp/ember-robustness); each summary.json is copied to docs/results/robustness/<config>/<set>-<method>.json,
# and python3 docs/results/robustness.py prints the table of docs/results/robustness.md from them.
# Usage: sh docs/results/robustness.sh [build/examples/ember-toy2d] [methods...]
set -eu
program=${1:-build/examples/ember-toy2d}
[ $# -gt 0 ] && shift
methods=${*:-cd dcd}
here=$(dirname "$0")/robustness
runs=${RUNS:-/tmp/ember-robustness}
sets="needles ellipses student t_mixture uneven far_modes two_scales stripes sine banana target thin_spiral
8gaussians 25gaussians swissroll 2spirals checkerboard rings moons pinwheel circles"
for method in $methods; do
  for set in $sets; do
    for config in default alpha0.1; do
      extra=""
      [ "$config" = alpha0.1 ] && extra="--energy-reg 0.1"
      kept=$here/$config/$set-$method.json
      [ -f "$kept" ] && continue
      mkdir -p "$here/$config" "$runs/$config"
      # shellcheck disable=SC2086
      nice -n 10 "$program" --dataset "$set" --method "$method" --seeds 3 --threads 1 --quiet $extra \
        --out "$runs/$config/$set-$method" > "$runs/$config/$set-$method.log" 2>&1 || true
      cp "$runs/$config/$set-$method/summary.json" "$kept"
    done
  done
done
