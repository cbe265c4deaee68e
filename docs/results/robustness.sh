#!/bin/sh
# Issue 16 item 2: does the energy² penalty α·mean(E⁺² + E⁻²) (--energy-reg α) keep default runs from blowing up,
# and what does it cost? Data sets $SETS (default: the 12 stress sets, then the 9 built-in ones) at the default
# budget (1500 Adam updates, lr 1e-2, 10 sampler steps), seeds 0-2, the methods given (default: cd dcd), each in
# the configurations $CONFIGS ("default"; "alphaX" for --energy-reg X; "cosine" for --lr-decay cosine;
# "current" for today's defaults re-measured (the baseline when a default's results changed since "cosine");
# "linear_output" for the defaults of session 22's binary, whose MLP has no width-1 SiLU layer under its output, and
# "linear_X" for configuration X on that binary;
# "s21_dcdmalaE" and "s21_stepsK" for DCD's posterior by MALA at step E, or K sampler steps, on session 21's defaults;
# "s21_icdentW" for improved CD's entropy weight W;
# "cosine_warmupW" for that and --warmup W; "cosine_alphaX" for --energy-reg X on today's defaults (cosine decay); "noiseA_B" for DCD's --noise-min A --noise-max B; "stepsK" for
# --steps K; "dcdstepE" for --dcd-step E; "mala" for --sampler mala; "mala_adapt" for --mala-adapt on (CD's MALA step tuned all run long); "mala_tuned" for that with --sampler mala; "mala_alphaX" for MALA and --energy-reg X; "mala_stepE" for that with step E; "inorder"
# for --pcd-chains in_order, "inorder_malaE" for that with MALA at step E, "inorder_malaE_alphaX" and --energy-reg X, "inorder_warmupW" for that at E = 0.1
# with --warmup W; "antithetic" for --dsm-noise antithetic; "dsmsigmaS" for --dsm-sigma S; "dcdmalaE" for DCD's
# posterior sampled by MALA at step E, "dcdmalaE_stepsK" for that with K steps; "dcdstartS" for --dcd-start S, "dcdstartS_mala" and
# "dcdstartS_mala_tuned" for that with MALA at --dcd-step, fixed or tuned; "standardize" for --standardize on
# (the set's standard scores), "standardize_dcdstepE" and "standardize_drlb2B" for that with DCD's --dcd-step E or
# DRL's --drl-b2 B, "standardize_alphaX" for that with --energy-reg X, "standardize_mala_adapt" for that with
# --mala-adapt on, "standardize_mala_tuned" for that with --sampler mala,
# "standardize_dcdstartdata_mala_tuned" for that with --dcd-start data; "jumps" for --jumps on, "jumps_noiseA_B" with DCD's
# --noise-min A --noise-max B; "s24_current" and "s24_standardize" for session 24's defaults as given and on standard
# scores, "s24_mala_adapt" and "s24_standardize_mala_adapt" for those with --mala-adapt on; "s25_current" and
# "s25_standardize" for session 25's (DRL's progressive samples measured too), "s25_stepsK" with --steps K; "logdraw" and "standardize_logdraw" for
# DCD's --noise-draw log_uniform; "dsmmsS_stepE" (and "standardize_dsmmsS_stepE") for DSM over the scales [0.1, S] with
# annealed Langevin at step E, antithetic pairs (the default), "..._independent" with one noise draw per point;
# default: default
# alpha0.1 alpha0.01).
# Run outputs go to $RUNS (default /tmp/ember-robustness); each summary.json is copied to
# docs/results/robustness/<config>/<set>-<method>.json (existing ones are skipped), and
# python3 docs/results/robustness.py prints the tables of docs/results/robustness.md from them.
# Usage: sh docs/results/robustness.sh [build/examples/ember-toy2d] [methods...]
set -eu
program=${1:-build/examples/ember-toy2d}
[ $# -gt 0 ] && shift
methods=${*:-cd dcd}
here=$(dirname "$0")/robustness
runs=${RUNS:-/tmp/ember-robustness}
sets=${SETS:-"needles ellipses student t_mixture uneven far_modes two_scales stripes sine banana target thin_spiral
8gaussians 25gaussians swissroll 2spirals checkerboard rings moons pinwheel circles"}
configs=${CONFIGS:-"default alpha0.1 alpha0.01"}
for method in $methods; do
  for set in $sets; do
    for config in $configs; do
      extra=""
      # "default" and "alphaX" are the defaults these tables were measured with: a constant learning rate
      # (ember-toy2d's default until 2026-12-06, when cosine decay became the default on this evidence).
      # "linear_X": configuration X measured by session 22's binary, whose MLP has no width-1 layer (a label only:
      # the program given is what runs).
      spec=$config
      case $config in linear_output) ;; linear_*) spec=${config#linear_} ;; esac
      case $spec in
        default) extra="--lr-decay none" ;;
        alpha*) extra="--energy-reg ${spec#alpha} --lr-decay none" ;;
        cosine) extra="--lr-decay cosine" ;;
        current) extra="" ;;  # today's defaults, measured again by the binary under test
        linear_output) extra="" ;;  # session 22's binary at its defaults: hidden widths 128,128 under a linear output
        s21_dcdmala*) extra="--sampler mala --dcd-step ${spec#s21_dcdmala}" ;;  # on session 21's defaults (α = 0.001)
        s21_steps*) extra="--steps ${spec#s21_steps}" ;;  # the same, more sampler steps
        s21_icdent*) extra="--icd-entropy-weight ${spec#s21_icdent}" ;;  # improved CD's entropy weight
        cosine_warmup*) extra="--lr-decay cosine --warmup ${spec#cosine_warmup}" ;;
        cosine_alpha*) extra="--energy-reg ${spec#cosine_alpha}" ;;  # the energy² penalty on today's defaults
        noise*_*) range=${spec#noise}; extra="--noise-min ${range%_*} --noise-max ${range#*_}" ;;  # noise0.1_0.5
        steps*) extra="--steps ${spec#steps}" ;;
        dcdstep*) extra="--dcd-step ${spec#dcdstep}" ;;
        s24_current) extra="" ;;  # session 24's defaults, measured by its binary
        s24_standardize) extra="--standardize on" ;;  # the same on the sets' standard scores
        s25_steps*) extra="--steps ${spec#s25_steps}" ;;  # session 25's defaults with K sampler steps
        s25_current) extra="" ;;  # session 25's defaults (DRL also reports the MMD² of its progressive samples)
        s25_standardize) extra="--standardize on" ;;
        dsmms*_step*_independent) e=${spec#dsmms}; e=${e%_independent}; extra="--dsm-noise independent --dsm-sigma-max ${e%_step*} --dsm-sample-step ${e#*_step}" ;;
        standardize_dsmms*_step*_independent) e=${spec#standardize_dsmms}; e=${e%_independent}; extra="--standardize on --dsm-noise independent --dsm-sigma-max ${e%_step*} --dsm-sample-step ${e#*_step}" ;;
        dsmms*_step*) e=${spec#dsmms}; extra="--dsm-sigma-max ${e%_step*} --dsm-sample-step ${e#*_step}" ;;  # multi-scale DSM
        standardize_dsmms*_step*) e=${spec#standardize_dsmms}; extra="--standardize on --dsm-sigma-max ${e%_step*} --dsm-sample-step ${e#*_step}" ;;
        logdraw) extra="--noise-draw log_uniform" ;;  # DCD's levels uniform in log s
        standardize_logdraw) extra="--standardize on --noise-draw log_uniform" ;;
        s24_mala_adapt) extra="--mala-adapt on" ;;  # session 24's defaults with CD's MALA step tuned over the run
        s24_standardize_mala_adapt) extra="--standardize on --mala-adapt on" ;;
        jumps) extra="--jumps on" ;;  # a difference jump over the training data before each update's chain steps
        jumps_noise*_*) range=${spec#jumps_noise}; extra="--jumps on --noise-min ${range%_*} --noise-max ${range#*_}" ;;
        mala) extra="--sampler mala" ;;
        mala_adapt) extra="--mala-adapt on" ;;
        mala_tuned) extra="--sampler mala --mala-adapt on" ;;
        mala_alpha*) extra="--sampler mala --energy-reg ${spec#mala_alpha}" ;;
        mala_step*) extra="--sampler mala --step-size ${spec#mala_step} --dcd-step ${spec#mala_step}" ;;
        inorder) extra="--pcd-chains in_order" ;;
        inorder_mala*_alpha*) e=${spec#inorder_mala}; extra="--pcd-chains in_order --sampler mala --step-size ${e%_alpha*} --energy-reg ${e#*_alpha}" ;;
        inorder_mala*) extra="--pcd-chains in_order --sampler mala --step-size ${spec#inorder_mala}" ;;
        inorder_warmup*) extra="--pcd-chains in_order --sampler mala --step-size 0.1 --warmup ${spec#inorder_warmup}" ;;
        antithetic) extra="--dsm-noise antithetic" ;;
        dsmsigma*) extra="--dsm-sigma ${spec#dsmsigma}" ;;
        standardize) extra="--standardize on" ;;
        standardize_dcdstep*) extra="--standardize on --dcd-step ${spec#standardize_dcdstep}" ;;
        standardize_drlb2*) extra="--standardize on --drl-b2 ${spec#standardize_drlb2}" ;;
        standardize_alpha*) extra="--standardize on --energy-reg ${spec#standardize_alpha}" ;;
        standardize_mala_adapt) extra="--standardize on --mala-adapt on" ;;
        standardize_mala_tuned) extra="--standardize on --sampler mala --mala-adapt on" ;;
        standardize_dcdstartdata_mala_tuned) extra="--standardize on --dcd-start data --sampler mala --mala-adapt on" ;;
        dcdstart*_mala_tuned) e=${spec#dcdstart}; extra="--dcd-start ${e%_mala_tuned} --sampler mala --mala-adapt on" ;;
        dcdstart*_mala) e=${spec#dcdstart}; extra="--dcd-start ${e%_mala} --sampler mala" ;;
        dcdstart*) extra="--dcd-start ${spec#dcdstart}" ;;
        dcdmala*_steps*) e=${spec#dcdmala}; extra="--sampler mala --dcd-step ${e%_steps*} --steps ${e#*_steps}" ;;
        dcdmala*) extra="--sampler mala --dcd-step ${spec#dcdmala}" ;;
      esac
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
