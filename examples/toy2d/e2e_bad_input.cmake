# Bad input exits with status 2 and one clear message on stderr (invoked by ctest with -DPROGRAM and -DOUT).
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
set(common --dataset 8gaussians --seed 5 --batch 32 --steps 2 --grid-cells 40 --quiet --out ${OUT}/run)
function(expect_2 pattern)
  execute_process(COMMAND ${PROGRAM} ${common} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "ember-toy2d ${ARGN}: exit status ${rc}, expected 2\n${stdout}\n${stderr}")
  endif()
  if(NOT stderr MATCHES "${pattern}")
    message(FATAL_ERROR "ember-toy2d ${ARGN}: stderr does not match '${pattern}':\n${stderr}")
  endif()
endfunction()
# expect_0(what args...): the run must succeed (it writes a checkpoint the checks below use, or resumes one).
function(expect_0 what)
  execute_process(COMMAND ${PROGRAM} ${common} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what}: ember-toy2d ${ARGN}: exit status ${rc}, expected 0\n${stdout}\n${stderr}")
  endif()
endfunction()
# A checkpoint to damage, and files that are not checkpoints.
expect_0("could not write a checkpoint" --method pcd --iters 4 --checkpoint ${OUT}/good.ckpt)
file(WRITE ${OUT}/garbage.ckpt "this is not a checkpoint, just some text that is long enough")
expect_2("ember::Checkpoint::load: file \".*garbage.ckpt\": bad magic number" --method pcd --iters 8 --resume ${OUT}/garbage.ckpt)
expect_2("cannot be opened for reading" --method pcd --iters 8 --resume ${OUT}/missing.ckpt)
# Truncated: the first 50 bytes only.
execute_process(COMMAND head -c 50 ${OUT}/good.ckpt OUTPUT_FILE ${OUT}/cut.ckpt)
expect_2("truncated" --method pcd --iters 8 --resume ${OUT}/cut.ckpt)
# Another method's checkpoint.
expect_2("^ember-toy2d: --resume = .*good.ckpt: its toy2d.method = 1: written by a run with another --method \\(this run: 0\\)\n$" --method cd --iters 8 --resume ${OUT}/good.ckpt)
# --iters below the checkpoint's iteration.
expect_2("--iters = 2: is below the checkpoint's iteration 4" --method pcd --iters 2 --resume ${OUT}/good.ckpt)
# Bad data and bad options.
file(WRITE ${OUT}/bad.csv "x,y\n0.1,0.2\n0.3,oops\n")
expect_2("bad.csv:3 column 2 = \"oops\": not a number" --method dcd --iters 4 --data-file ${OUT}/bad.csv)
file(WRITE ${OUT}/nan.csv "x,y\n0.1,0.2\n0.3,nan\n")
expect_2("nan.csv:3 column 2 = nan: must be finite" --method dcd --iters 4 --data-file ${OUT}/nan.csv)
expect_2("--method = sgld: must be cd, pcd, icd, dcd, drl, dsm or all" --method sgld --iters 4)
# A DRL checkpoint is not a PCD one (DRL's id 5 was appended after dsm's 4).
expect_0("could not write a DRL checkpoint" --method drl --iters 2 --checkpoint ${OUT}/drl.ckpt)
expect_2("its toy2d.method = 5: written by a run with another --method \\(this run: 1\\)" --method pcd --iters 8 --resume ${OUT}/drl.ckpt)
expect_2("--iters" --method dcd --iters -5)
expect_2("^ember-toy2d: --warmup = 8: must be < --iters = 8\n$" --method dcd --iters 8 --warmup 8)
expect_2("--lr-decay: linear not in" --method dcd --iters 8 --lr-decay linear)
expect_2("--pcd-chains: tieleman not in" --method pcd --iters 8 --pcd-chains tieleman)
expect_2("--dsm-noise: paired not in" --method dsm --iters 8 --dsm-noise paired)
expect_2("--dsm-sigma: 0 is not a finite number > 0" --method dsm --iters 8 --dsm-sigma 0)
expect_2("--dsm-sigma-max = 0.05[0-9]*: must be 0 \\(one scale\\) or >= --dsm-sigma = 0.1" --method dsm --iters 8 --dsm-sigma-max 0.05)
expect_2("--dsm-sample-step: -1 is not a finite number > 0" --method dsm --iters 8 --dsm-sigma-max 3 --dsm-sample-step -1)
# A one-scale DSM checkpoint is another model than a multi-scale one: refused even with --allow-changed-settings.
expect_0("could not write a one-scale DSM checkpoint" --method dsm --iters 4 --checkpoint ${OUT}/dsm_one_scale.ckpt)
expect_2("--dsm-sigma-max \\(checkpoint 0, this run 3\\)" --method dsm --iters 8 --dsm-sigma-max 3
         --resume ${OUT}/dsm_one_scale.ckpt --allow-changed-settings)
expect_2("--icd-entropy-weight: -1 is not a finite number >= 0" --method icd --iters 8 --icd-entropy-weight -1)
# A checkpoint of a constant-rate run is not resumed with the default cosine decay without --allow-changed-settings.
expect_0("could not write a constant-rate checkpoint" --method pcd --iters 4 --lr-decay none
         --checkpoint ${OUT}/constant.ckpt)
expect_2("--lr-decay \\(checkpoint 0, this run 1\\)" --method pcd --iters 8 --resume ${OUT}/constant.ckpt)
# A checkpoint of the network before session 22 (hidden widths 128,128,1) is another model: refused even with
# --allow-changed-settings, resumed when --hidden repeats it.
expect_0("could not write a --hidden 128,128,1 checkpoint" --method pcd --iters 4 --hidden 128,128,1
         --checkpoint ${OUT}/narrow.ckpt)
expect_2("--hidden \\(checkpoint 128,128,1, this run 128,128\\)" --method pcd --iters 8 --resume ${OUT}/narrow.ckpt)
expect_2("--hidden \\(checkpoint 128,128,1, this run 128,128\\)" --method pcd --iters 8 --resume ${OUT}/narrow.ckpt
         --allow-changed-settings)
expect_0("a --hidden 128,128,1 checkpoint resumed with --hidden 128,128,1" --method pcd --iters 8 --hidden 128,128,1
         --resume ${OUT}/narrow.ckpt)
expect_2("--hidden: 0 is outside \\[1, 4096\\]" --method dcd --iters 4 --hidden 128,0)
expect_2("--dcd-start: x not in" --method dcd --iters 4 --dcd-start x)
expect_2("--jumps: maybe not in" --method cd --iters 4 --jumps maybe)
# PCD's MALA step is tuned by default since session 23: a checkpoint of a fixed-step run (as every PCD checkpoint
# before) is another run, refused even with --allow-changed-settings.
expect_0("could not write a --mala-adapt off checkpoint" --method pcd --iters 4 --mala-adapt off
         --checkpoint ${OUT}/fixed_step.ckpt)
expect_2("--mala-adapt \\(checkpoint 0, this run 1\\)" --method pcd --iters 8 --resume ${OUT}/fixed_step.ckpt
         --allow-changed-settings)
# CD takes difference jumps by default since session 24: a checkpoint without them (every CD checkpoint before) is
# another run, refused even with --allow-changed-settings.
expect_0("could not write a --jumps off checkpoint" --method cd --iters 4 --jumps off --checkpoint ${OUT}/no_jumps.ckpt)
expect_2("--jumps \\(checkpoint 0, this run 1\\)" --method cd --iters 8 --resume ${OUT}/no_jumps.ckpt
         --allow-changed-settings)
