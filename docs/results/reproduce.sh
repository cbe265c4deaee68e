#!/bin/sh
# Regenerates the tables and pictures of docs/results/ (run from the repository root after
# `cmake --build build -j2 --target ember-toy2d ember-gaussian`). Every number is seeded.
# Every configuration runs SEEDS seeds (default 5: seeds 0..4; tables show mean ± standard error and the worst seed).
# DATASETS, STRESS, DIMS, ITERS and SEEDS narrow a run (DATASETS=none, STRESS=none or DIMS=none skips the classic 2D
# sets, the 12 stress sets of issue 16 or the Gaussian part); WORK is where the full outputs (per-seed directories,
# JSON) go.
set -e
bin=${BUILD:-build}/examples
work=${WORK:-/tmp/ember-results}
iters=${ITERS:-1500}
seeds=${SEEDS:-5}
datasets=${DATASETS:-"8gaussians 25gaussians swissroll 2spirals checkerboard rings moons pinwheel circles"}
[ "$datasets" = none ] && datasets=""
dims=${DIMS:-"2 16 64"}
for d in $datasets; do
  "$bin/ember-toy2d" --dataset "$d" --method all --iters "$iters" --seeds "$seeds" --threads 2 --quiet --out "$work/$d"
  cp "$work/$d/montage.png" "docs/results/toy2d-$d.png"
  cp "$work/$d/summary.md" "docs/results/toy2d-$d.md"
  cp "$work/$d/summary.json" "docs/results/toy2d-$d.json"
done
stress=${STRESS:-"needles ellipses student t_mixture uneven far_modes two_scales stripes sine banana target thin_spiral"}
[ "$stress" = none ] && stress=""
[ -n "$stress" ] && mkdir -p docs/results/stress
for d in $stress; do
  "$bin/ember-toy2d" --dataset "$d" --method all --iters "$iters" --seeds "$seeds" --threads 2 --quiet --out "$work/stress-$d"
  cp "$work/stress-$d/montage.png" "docs/results/stress/$d.png"
  cp "$work/stress-$d/summary.json" "docs/results/stress/$d.json"
done
[ "$dims" = none ] && exit 0
# Gaussians: 5 seeds each (mean ± standard error), the README's six settings and issue 16's 12-D one (condition
# number 30, a random mean) read from a CSV; then the ablations (improved CD's entropy weight d, DCD on ULA, and the
# settings the defaults of 6 Dec replaced: PCD's sampled buffer, DRL on five levels and on ULA, DSM's one draw,
# training on the data as given instead of its standard scores, and CD's and PCD's fixed MALA step),
# --tune and the old settings. DATASETS=none skips the 2D part above.
mkdir -p "$work"
python3 docs/results/gaussian12.py "$work/gaussian12.csv"
mkdir -p docs/results/gaussian-ablations
gauss() {  # gauss NAME SUFFIX DEST ARGS...: one --seeds run, its table, JSON (and picture) copied to DEST
  name=$1 suffix=$2 dest=$3
  shift 3
  "$bin/ember-gaussian" "$@" --seeds "$seeds" --threads 2 --out "$work/gauss-$name$suffix" > /dev/null
  cp "$work/gauss-$name$suffix/summary.md" "$dest/gaussian-$name$suffix.md"
  cp "$work/gauss-$name$suffix/summary.json" "$dest/gaussian-$name$suffix.json"
}
settings=""
for dim in $dims; do
  for cov in identity illcond; do settings="$settings $dim-$cov"; done
done
for setting in $settings 12-file; do
  if [ "$setting" = 12-file ]; then
    args="--data-file $work/gaussian12.csv" d=12
  else
    d=${setting%%-*}
    args="--dim $d --cov ${setting#*-} --cond 100"
  fi
  gauss "$setting" "" docs/results $args --method all
  cp "$work/gauss-$setting/kl.png" "docs/results/gaussian-$setting.png"
  gauss "$setting" -tune docs/results $args --method all --tune
  gauss "$setting" -old docs/results $args --method all --optimizer sgd --lr-decay none --dcd-posterior ula --dsm-weighting none --sampler ula \
    --pcd-chains sampled --icd-chains sampled --drl-posterior ula --drl-levels 0,100,200,300,999 --dsm-noise independent --standardize off
  gauss "$setting" -icd-ent03 docs/results/gaussian-ablations $args --method icd --icd-entropy-weight 0.3
  gauss "$setting" -dcd-ula docs/results/gaussian-ablations $args --method dcd --dcd-posterior ula
  gauss "$setting" -pcd-sampled docs/results/gaussian-ablations $args --method pcd --pcd-chains sampled
  gauss "$setting" -drl-5levels docs/results/gaussian-ablations $args --method drl --drl-levels 0,100,200,300,999
  gauss "$setting" -drl-ula docs/results/gaussian-ablations $args --method drl --drl-posterior ula --drl-levels 0,100,200,300,999
  gauss "$setting" -dsm-independent docs/results/gaussian-ablations $args --method dsm --dsm-noise independent
  gauss "$setting" -unscaled docs/results/gaussian-ablations $args --method all --standardize off
  gauss "$setting" -cd-mala-fixed docs/results/gaussian-ablations $args --method cd --mala-adapt off
  gauss "$setting" -pcd-mala-fixed docs/results/gaussian-ablations $args --method pcd --mala-adapt off
  gauss "$setting" -icd-du docs/results/gaussian-ablations $args --method icd --icd-chains sampled --sampler ula --icd-entropy-weight 0.3
  gauss "$setting" -icd-ula docs/results/gaussian-ablations $args --method icd --sampler ula
  gauss "$setting" -icd-sampled docs/results/gaussian-ablations $args --method icd --icd-chains sampled
done
