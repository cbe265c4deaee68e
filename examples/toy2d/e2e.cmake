# Runs a short ember-toy2d job and checks its outputs (invoked by ctest with -DPROGRAM, -DOUT and optionally
# -DMETHOD, default dcd).
if(NOT METHOD)
  set(METHOD dcd)
endif()
file(REMOVE_RECURSE ${OUT})
# (--edge-mass-limit 1: after 40 updates the model keeps ~8% of its mass at the box's edge, where its NLL and KL
# would be "unresolved"; this test is about the outputs.)
execute_process(COMMAND ${PROGRAM} --dataset rings --method ${METHOD} --iters 40 --seed 3 --grid-cells 160 --out ${OUT} --quiet
                --edge-mass-limit 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ember-toy2d failed (${rc}):\n${stdout}\n${stderr}")
endif()
foreach(f metrics.json samples.csv samples.npy density.png samples.png)
  if(NOT EXISTS ${OUT}/${f})
    message(FATAL_ERROR "ember-toy2d did not write ${OUT}/${f}")
  endif()
endforeach()
file(READ ${OUT}/metrics.json metrics)
foreach(key dataset method iters seconds nll mmd kl)
  string(JSON value ERROR_VARIABLE missing GET "${metrics}" ${key})
  if(missing)
    message(FATAL_ERROR "metrics.json lacks \"${key}\": ${metrics}")
  endif()
endforeach()
string(JSON kl GET "${metrics}" kl)
if(kl STREQUAL "" OR kl STREQUAL "null")
  message(FATAL_ERROR "rings has an exact density: kl must be a number in ${metrics}")
endif()
file(STRINGS ${OUT}/samples.csv lines)
list(LENGTH lines n)
if(n LESS 5001)
  message(FATAL_ERROR "samples.csv has ${n} lines; expected a header and >= 5000 samples")
endif()
find_program(PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(PYTHON3)
  execute_process(COMMAND ${PYTHON3} -c "import numpy" RESULT_VARIABLE has_numpy OUTPUT_QUIET ERROR_QUIET)
  if(has_numpy EQUAL 0)
    execute_process(COMMAND ${PYTHON3} -c
      "import numpy; a = numpy.load('${OUT}/samples.npy'); assert a.ndim == 2 and a.shape[1] == 2 and a.shape[0] >= 5000, a.shape; assert numpy.isfinite(a).all(); c = numpy.loadtxt('${OUT}/samples.csv', delimiter=',', skiprows=1); assert numpy.allclose(a, c, rtol=1e-6, atol=1e-6)"
      RESULT_VARIABLE ok OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT ok EQUAL 0)
      message(FATAL_ERROR "numpy could not load samples.npy consistently with samples.csv:\n${out}${err}")
    endif()
  endif()
endif()
# expect_default(field option for_dcd for_pcd_icd_drl for_cd): metrics.json's `field` holds the method's default of
# `option`.
function(expect_default field option for_dcd for_pcd_icd_drl for_cd)
  set(expected ${for_cd})
  if(METHOD STREQUAL "dcd")
    set(expected ${for_dcd})
  elseif(METHOD MATCHES "^(pcd|icd|drl)$")
    set(expected ${for_pcd_icd_drl})
  endif()
  string(JSON value GET "${metrics}" ${field})
  if(NOT value EQUAL expected)
    message(FATAL_ERROR "${METHOD}'s default ${option} is ${value}, expected ${expected}: ${metrics}")
  endif()
endfunction()
# The energy penalty α = 0.001 is DCD's default, 0.01 PCD's, improved CD's and DRL's, 0 CD's (docs/results/robustness.md).
expect_default(energy_reg --energy-reg 0.001 0.01 0)
# K, the sampler steps per update, is 20 for DCD and 10 for the other MCMC methods (session 26; robustness.md).
expect_default(steps --steps 20 10 10)
# The MLP's hidden widths are 128, 128 under a linear output (no width-1 SiLU layer since session 22).
string(JSON hidden GET "${metrics}" hidden)
string(REGEX REPLACE "[ \n]" "" hidden "${hidden}")
if(NOT hidden STREQUAL "[128,128]")
  message(FATAL_ERROR "${METHOD}'s default --hidden is ${hidden}, expected [128,128]: ${metrics}")
endif()
# run_at_defaults(method field...): a short run of `method` at its defaults on rings, written to
# ${OUT}/defaults-<method> (inside OUT, as every run of the other e2e scripts: a sibling ${OUT}-drl was the --method drl
# test's own OUT, and the two run at once under ctest -j); sets rc, stdout, stderr and each named field of its JSON
# line (<field>-NOTFOUND where missing).
function(run_at_defaults method)
  execute_process(COMMAND ${PROGRAM} --dataset rings --method ${method} --iters 5 --grid-cells 40 --out ${OUT}/defaults-${method}
                  --quiet --edge-mass-limit 1
                  RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  foreach(field IN LISTS ARGN)
    string(JSON value ERROR_VARIABLE missing GET "${stdout}" ${field})
    set(${field} "${value}" PARENT_SCOPE)
  endforeach()
  set(rc "${rc}" PARENT_SCOPE)
  set(stdout "${stdout}" PARENT_SCOPE)
  set(stderr "${stderr}" PARENT_SCOPE)
endfunction()
# Improved CD's first K − 1 steps are MALA by default, so it reports an acceptance (ULA reports none), and its step
# is tuned over the run (session 23).
# CD, PCD and improved CD take a difference jump before each update's chain steps (session 24): they report its
# acceptance.
run_at_defaults(icd sampler acceptance energy_reg icd_entropy_weight tuned_step_size jump_acceptance)
if(NOT rc EQUAL 0 OR NOT sampler STREQUAL "mala" OR NOT acceptance GREATER 0 OR acceptance GREATER 1
   OR NOT energy_reg EQUAL 0.01 OR NOT icd_entropy_weight EQUAL 2 OR NOT tuned_step_size GREATER 0
   OR tuned_step_size EQUAL 0.1 OR NOT jump_acceptance GREATER 0 OR jump_acceptance GREATER 1)
  message(FATAL_ERROR "icd at its defaults: exit ${rc}, sampler mala tuned from 0.1, an acceptance in (0, 1], --energy-reg 0.01, entropy weight 2 and jumps expected:\n${stdout}\n${stderr}")
endif()
# PCD runs Tieleman's in-order chains by MALA with α = 0.01 by default (session 22), its step tuned from 0.1 over the
# run (session 23).
run_at_defaults(pcd sampler pcd_chains energy_reg step_size tuned_step_size jump_acceptance)
if(NOT rc EQUAL 0 OR NOT sampler STREQUAL "mala" OR NOT pcd_chains STREQUAL "in_order" OR NOT energy_reg EQUAL 0.01
   OR NOT step_size EQUAL 0.1 OR NOT tuned_step_size GREATER 0 OR tuned_step_size EQUAL 0.1
   OR NOT jump_acceptance GREATER 0 OR jump_acceptance GREATER 1)
  message(FATAL_ERROR "pcd at its defaults: exit ${rc}, MALA tuned from 0.1 on in-order chains, jumps and --energy-reg 0.01 expected:\n${stdout}\n${stderr}")
endif()
# DRL samples each level by MALA since session 23, each level's step tuned over the run (one per sampling level); it
# takes no jumps. Since session 25 it also reports the MMD² of its own progressive samples, and writes them.
run_at_defaults(drl sampler tuned_step_size jump_acceptance generated_mmd generated_mmd_standard_error)
if(NOT rc EQUAL 0 OR NOT sampler STREQUAL "mala" OR NOT tuned_step_size MATCHES "^\\[.*,.*,.*,.*\\]$"
   OR NOT jump_acceptance MATCHES "NOTFOUND$" OR generated_mmd MATCHES "NOTFOUND$|null"
   OR NOT generated_mmd_standard_error GREATER 0 OR NOT EXISTS ${OUT}/defaults-drl/generated_samples.csv
   OR NOT EXISTS ${OUT}/defaults-drl/generated_samples.png)
  message(FATAL_ERROR "drl at its defaults: exit ${rc}, MALA with four tuned steps and its progressive samples expected:\n${stdout}\n${stderr}")
endif()
# DSM trains one scale by default (no samples of its own); --dsm-sigma-max trains every scale up to it with a
# time-conditioned MLP and samples it by annealed Langevin (session 25).
run_at_defaults(dsm generated_mmd dsm_sigma_max)
if(NOT rc EQUAL 0 OR NOT generated_mmd MATCHES "NOTFOUND$" OR NOT dsm_sigma_max EQUAL 0)
  message(FATAL_ERROR "dsm at its defaults: exit ${rc}, one scale and no generated samples expected:\n${stdout}\n${stderr}")
endif()
execute_process(COMMAND ${PROGRAM} --dataset rings --method dsm --iters 5 --grid-cells 40 --out ${OUT}/dsm-multiscale
                --quiet --edge-mass-limit 1 --dsm-sigma-max 3
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
string(JSON generated_mmd ERROR_VARIABLE missing GET "${stdout}" generated_mmd)
string(JSON dsm_sigma_max ERROR_VARIABLE missing GET "${stdout}" dsm_sigma_max)
if(NOT rc EQUAL 0 OR generated_mmd MATCHES "NOTFOUND$|null" OR NOT dsm_sigma_max EQUAL 3
   OR NOT EXISTS ${OUT}/dsm-multiscale/generated_samples.csv OR NOT EXISTS ${OUT}/dsm-multiscale/generated_samples.png)
  message(FATAL_ERROR "dsm --dsm-sigma-max 3: exit ${rc}, generated samples and their MMD² expected:\n${stdout}\n${stderr}")
endif()
file(STRINGS ${OUT}/defaults-drl/generated_samples.csv generated_lines)
list(LENGTH generated_lines generated_count)
if(NOT generated_count EQUAL 5001)
  message(FATAL_ERROR "drl's generated_samples.csv has ${generated_count} lines, expected a header and 5000 rows")
endif()
# DCD's posterior chains start at the datum and run MALA, its step tuned (session 23), after a jump, at noise levels
# from 0.2 to 0.99 (session 24).
run_at_defaults(dcd sampler dcd_start tuned_step_size jump_acceptance)
string(JSON noise_low ERROR_VARIABLE missing GET "${stdout}" noise_levels 0)
string(JSON noise_high ERROR_VARIABLE missing GET "${stdout}" noise_levels 1)
if(NOT rc EQUAL 0 OR NOT sampler STREQUAL "mala" OR NOT dcd_start STREQUAL "data" OR NOT tuned_step_size GREATER 0
   OR tuned_step_size EQUAL 0.01 OR NOT jump_acceptance GREATER 0 OR jump_acceptance GREATER 1
   OR NOT noise_low EQUAL 0.2 OR NOT noise_high EQUAL 0.99)
  message(FATAL_ERROR "dcd at its defaults: exit ${rc}, MALA tuned from 0.01, started at the datum after a jump, noise levels [0.2, 0.99] expected:\n${stdout}\n${stderr}")
endif()
# CD keeps no penalty and a fixed MALA step.
run_at_defaults(cd energy_reg tuned_step_size jump_acceptance)
if(NOT rc EQUAL 0 OR NOT energy_reg EQUAL 0 OR NOT tuned_step_size MATCHES "NOTFOUND$" OR NOT jump_acceptance GREATER 0
   OR jump_acceptance GREATER 1)
  message(FATAL_ERROR "cd at its defaults: exit ${rc}, --energy-reg 0, no tuned step and jumps expected:\n${stdout}\n${stderr}")
endif()
# --jumps off takes none.
execute_process(COMMAND ${PROGRAM} --dataset rings --method cd --iters 5 --grid-cells 40 --out ${OUT}/cd-nojumps
                --quiet --edge-mass-limit 1 --jumps off
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
string(JSON jump_acceptance ERROR_VARIABLE missing GET "${stdout}" jump_acceptance)
if(NOT rc EQUAL 0 OR NOT jump_acceptance MATCHES "NOTFOUND$")
  message(FATAL_ERROR "cd --jumps off: exit ${rc}, no jumps expected:\n${stdout}\n${stderr}")
endif()
