# Bad input exits with status 2 and one line "ember-gaussian: message" naming the flag, before any training
# (invoked by ctest with -DPROGRAM and -DOUT); the runs that must fail ask for 10⁹ iterations, so that a check
# made after training would time out.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
function(expect status pattern)
  execute_process(COMMAND ${PROGRAM} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr TIMEOUT 120)
  if(NOT rc EQUAL ${status})
    message(FATAL_ERROR "ember-gaussian ${ARGN}: exit status ${rc}, expected ${status}\n${stdout}\n${stderr}")
  endif()
  if(NOT stderr MATCHES "${pattern}")
    message(FATAL_ERROR "ember-gaussian ${ARGN}: stderr does not match '${pattern}':\n${stderr}")
  endif()
  if(NOT stderr MATCHES "^ember-gaussian: [^\n]*\n$")
    message(FATAL_ERROR "ember-gaussian ${ARGN}: stderr is not one line 'ember-gaussian: message':\n${stderr}")
  endif()
endfunction()
set(long --iters 1000000000)
# 13. One exit status (2) and one message shape for bad options, CLI11's included.
expect(2 "^ember-gaussian: --method = bogus: must be cd, pcd, icd, dcd, drl, dsm, mle or all\n$" --method bogus ${long})
expect(2 "^ember-gaussian: --cov: " --cov bogus)
expect(2 "^ember-gaussian: --dim: 0 is outside \\[1, " --dim 0)
expect(2 "^ember-gaussian: The following argument was not expected: --nope" --nope)
# The method settings of issue 16 item 5: each bad value names its flag and value.
expect(2 "^ember-gaussian: --optimizer: .*bogus" --optimizer bogus ${long})
expect(2 "^ember-gaussian: --lr-decay: .*linear" --lr-decay linear ${long})
expect(2 "^ember-gaussian: --dcd-posterior: .*mala" --dcd-posterior mala ${long})
expect(2 "^ember-gaussian: --dsm-weighting: .*sigma" --dsm-weighting sigma ${long})
expect(2 "^ember-gaussian: --icd-entropy-weight: -1 is not a finite number >= 0" --icd-entropy-weight -1 ${long})
expect(2 "^ember-gaussian: --icd-entropy-weight: nan is not a finite number >= 0" --icd-entropy-weight nan ${long})
expect(2 "^ember-gaussian: --dcd-noise: 1 is not a number in \\[0, 1\\)" --dcd-noise 1 ${long})
expect(2 "^ember-gaussian: --step-factor: 0 is not a finite number > 0" --step-factor 0 ${long})
expect(2 "^ember-gaussian: Could not convert: --tune = maybe" --tune=maybe ${long})
# The settings of session 15: the sampler choices, the replay buffer's probability and size.
expect(2 "^ember-gaussian: --pcd-chains: .*tieleman" --pcd-chains tieleman ${long})
expect(2 "^ember-gaussian: --icd-chains: .*buffer" --icd-chains buffer ${long})
expect(2 "^ember-gaussian: --drl-posterior: .*mala" --drl-posterior mala ${long})
expect(2 "^ember-gaussian: --dsm-noise: .*paired" --dsm-noise paired ${long})
expect(2 "^ember-gaussian: --reinit: nan is not a number in \\[0, 1\\]" --reinit nan ${long})
expect(2 "^ember-gaussian: --reinit: 1.5 is not a number in \\[0, 1\\]" --reinit 1.5 ${long})
expect(2 "^ember-gaussian: --buffer: 0 is outside \\[1, " --buffer 0 ${long})
expect(2 "^ember-gaussian: --buffer = 1000000000000: needs about .* memory budget" --buffer 1000000000000 ${long})
# 11. Out-of-range integers are refused, not clamped or wrapped.
expect(2 "^ember-gaussian: --seed: -1 is outside \\[0, 18446744073709551615\\]" --seed -1)
expect(2 "^ember-gaussian: --iters: 99999999999999999999 is outside" --iters 99999999999999999999)
# 12. Sizes beyond the memory budget are refused naming the flag (--dim 10000 used to compute for 90 s).
expect(2 "^ember-gaussian: --dim = 100000: needs about .* memory budget" --dim 100000 ${long})
expect(2 "^ember-gaussian: --dim = 10000: needs about .* memory budget" --dim 10000 ${long})
expect(2 "^ember-gaussian: --samples = 2000000000: needs about .* memory budget" --samples 2000000000 ${long})
# The samplers' steps come from the training sample's covariance: it needs more rows than dimensions, on the
# rows --tune fits (80%) as well.
expect(2 "^ember-gaussian: --samples = 16: must give more training rows \\(16\\) than the dimension 16 " --dim 16 --samples 16 ${long})
expect(2 "^ember-gaussian: --samples = 19: must give more training rows \\(16 fitted by --tune\\) than the dimension 16 "
       --dim 16 --samples 19 --tune ${long})
# 18. --dim must match the data file's columns; 15. a collinear column is named as such, not as a step size.
file(WRITE ${OUT}/two.csv "x,y\n")
file(WRITE ${OUT}/collinear.csv "x,y,z\n")
foreach(k RANGE 1 30)
  math(EXPR a "(${k} * 7) % 11")
  math(EXPR b "(${k} * 5) % 13")
  math(EXPR z "${a} + ${b}")
  file(APPEND ${OUT}/two.csv "${a},${b}\n")
  file(APPEND ${OUT}/collinear.csv "${a},${b},${z}\n")
endforeach()
expect(2 "^ember-gaussian: --dim = 5: but --data-file .*two.csv has 2 columns" --dim 5 --data-file ${OUT}/two.csv ${long})
expect(2 "^ember-gaussian: --data-file = .*collinear.csv: the points' covariance is singular .*linear combination"
       --data-file ${OUT}/collinear.csv ${long})
# 6. The output directory is checked before training.
file(WRITE ${OUT}/a-file "x")
expect(2 "^ember-gaussian: --out = .*a-file: cannot be used as the output directory" --out ${OUT}/a-file ${long})
# A data file in the right dimension still trains (--dim given and equal).
execute_process(COMMAND ${PROGRAM} --dim 2 --data-file ${OUT}/two.csv --method mle --iters 50 RESULT_VARIABLE rc
                OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(NOT rc EQUAL 0 OR NOT stdout MATCHES "\"dim\":2")
  message(FATAL_ERROR "ember-gaussian --dim 2 --data-file two.csv failed (${rc}):\n${stdout}\n${stderr}")
endif()
# 1: a single diverging method names its iteration.
execute_process(COMMAND ${PROGRAM} --dim 2 --method cd --iters 20 --lr 1e6 RESULT_VARIABLE rc OUTPUT_VARIABLE stdout
                ERROR_VARIABLE stderr)
if(NOT rc EQUAL 1 OR NOT stderr MATCHES "^ember-gaussian: cd diverged at iteration [0-9]+: ")
  message(FATAL_ERROR "ember-gaussian --method cd --lr 1e6: exit ${rc}, expected 1 naming the iteration:\n${stderr}")
endif()
# 1: CD's MALA at a step so large that it accepts nothing: its chains stand still, and the run is reported
# "stalled" with exit status 1, never measured.
execute_process(COMMAND ${PROGRAM} --dim 2 --method cd --iters 50 --step-factor 1e6 --mala-adapt off RESULT_VARIABLE rc
                OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(NOT rc EQUAL 1 OR NOT stderr MATCHES "^ember-gaussian: cd stalled at iteration 50 \\(acceptance = 0\\): .*chains stood still")
  message(FATAL_ERROR "ember-gaussian --method cd --step-factor 1e6: exit ${rc}, expected 1 as stalled:\n${stderr}")
endif()
# The same step with --mala-adapt on (the default): dual averaging tunes it down within the run, which is measured.
execute_process(COMMAND ${PROGRAM} --dim 2 --method cd --iters 50 --step-factor 1e6 RESULT_VARIABLE rc
                OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
string(JSON kl ERROR_VARIABLE no_kl GET "${stdout}" kl_data_to_model)
if(NOT rc EQUAL 0 OR no_kl)
  message(FATAL_ERROR "ember-gaussian --method cd --step-factor 1e6 (adapting): exit ${rc}, expected 0 and a KL:\n${stdout}\n${stderr}")
endif()
