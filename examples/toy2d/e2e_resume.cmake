# Checkpoint and resume end to end (invoked by ctest with -DPROGRAM and -DOUT): an uninterrupted PCD run of
# ITERS iterations and a run stopped at ITERS/2 then resumed with --resume must write byte-identical samples.csv.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
# -DMETHOD picks the method (default pcd: model, Adam, replay buffer and generator are all restored).
if(NOT METHOD)
  set(METHOD pcd)
endif()
set(common --dataset 8gaussians --method ${METHOD} --seed 5 --batch 64 --steps 3 --grid-cells 80 --quiet)
function(run name)
  execute_process(COMMAND ${PROGRAM} ${common} ${ARGN} --out ${OUT}/${name}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ember-toy2d ${ARGN} failed (${rc}):\n${stdout}\n${stderr}")
  endif()
endfunction()
# A constant rate and a fixed MALA step: a cosine schedule and the step's tuning (PCD's default) run over --iters, so a
# run stopped by a shorter --iters has followed another curve (a run resumed from a periodic checkpoint with its own
# --iters follows the same one).
run(full --iters 60 --lr-decay none --mala-adapt off --checkpoint ${OUT}/full.ckpt --checkpoint-every 15)
run(first --iters 30 --lr-decay none --mala-adapt off --checkpoint ${OUT}/half.ckpt)
run(resumed --iters 60 --lr-decay none --mala-adapt off --resume ${OUT}/half.ckpt)
file(SHA256 ${OUT}/full/samples.csv full)
file(SHA256 ${OUT}/resumed/samples.csv resumed)
file(SHA256 ${OUT}/first/samples.csv first)
if(NOT full STREQUAL resumed)
  message(FATAL_ERROR "the resumed run's samples.csv differs from the uninterrupted run's")
endif()
if(full STREQUAL first)
  message(FATAL_ERROR "the half run's samples equal the full run's: the comparison cannot fail")
endif()
# The periodic checkpoint at the end of the full run equals the resumed run's end state: resuming it with
# the same total does no iteration and gives the same samples again.
run(again --iters 60 --lr-decay none --mala-adapt off --resume ${OUT}/full.ckpt)
file(SHA256 ${OUT}/again/samples.csv again)
if(NOT full STREQUAL again)
  message(FATAL_ERROR "resuming the final checkpoint changed the samples")
endif()
# The schedule reaches the optimizer: the default (cosine) run and one with a warm-up each differ from the
# constant-rate run above and from each other, and the warm-up run's final checkpoint resumes to the same samples.
run(default --iters 60)
file(SHA256 ${OUT}/default/samples.csv default)
run(cosine --iters 60 --lr-decay cosine --warmup 10 --checkpoint ${OUT}/cosine.ckpt)
file(SHA256 ${OUT}/cosine/samples.csv cosine)
if(default STREQUAL full OR cosine STREQUAL full OR cosine STREQUAL default)
  message(FATAL_ERROR "the default cosine decay or --warmup 10 left the samples unchanged")
endif()
run(cosine_again --iters 60 --lr-decay cosine --warmup 10 --resume ${OUT}/cosine.ckpt)
file(SHA256 ${OUT}/cosine_again/samples.csv cosine_again)
if(NOT cosine STREQUAL cosine_again)
  message(FATAL_ERROR "resuming the cosine run's final checkpoint changed the samples")
endif()
# A tuned MALA step (--mala-adapt on; the default of PCD, improved CD and DRL) is part of the run: the checkpoint keeps
# it, and a run resumed from the final checkpoint (no update left) reports the step the tuning reached (DRL: one per
# level), not the starting one.
run(tuned --iters 60 --sampler mala --mala-adapt on --checkpoint ${OUT}/tuned.ckpt)
run(tuned_again --iters 60 --sampler mala --mala-adapt on --resume ${OUT}/tuned.ckpt)
run(untuned --iters 60 --sampler mala --mala-adapt off)
file(READ ${OUT}/tuned/metrics.json tuned_json)
file(READ ${OUT}/tuned_again/metrics.json tuned_again_json)
string(JSON step GET "${tuned_json}" tuned_step_size)
string(JSON step_again GET "${tuned_again_json}" tuned_step_size)
file(READ ${OUT}/untuned/samples.csv untuned_samples)
file(READ ${OUT}/tuned/samples.csv tuned_samples)
if(untuned_samples STREQUAL tuned_samples)
  message(FATAL_ERROR "--mala-adapt on changed nothing (tuned steps ${step}): the check below cannot fail")
endif()
if(NOT step_again STREQUAL step)
  message(FATAL_ERROR "the resumed run's tuned MALA step is ${step_again}, the checkpointed run's ${step}")
endif()
