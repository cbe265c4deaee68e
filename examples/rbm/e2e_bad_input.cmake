# ember-rbm follows the examples' exit-status contract (invoked by ctest with -DPROGRAM and -DOUT): 2 and one line
# "ember-rbm: message" naming the flag for bad input, checked before training; 1 naming the epoch when the
# training diverges (a huge learning rate gave an exact log-likelihood of -2.4e30 and exit status 0).
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
function(expect status pattern)
  execute_process(COMMAND ${PROGRAM} --quiet ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr
                  TIMEOUT 120)
  if(NOT rc EQUAL ${status})
    message(FATAL_ERROR "ember-rbm ${ARGN}: exit status ${rc}, expected ${status}\n${stdout}\n${stderr}")
  endif()
  if(NOT stderr MATCHES "${pattern}" OR NOT stderr MATCHES "^ember-rbm: [^\n]*\n$")
    message(FATAL_ERROR "ember-rbm ${ARGN}: stderr is not one line matching '${pattern}':\n${stderr}")
  endif()
endfunction()
expect(2 "^ember-rbm: --hidden: 100 is outside \\[1, 64\\]" --hidden 100)
expect(2 "^ember-rbm: --epochs: 0 is outside" --epochs 0)
expect(2 "^ember-rbm: --seed: 18446744073709551616 is outside" --seed 18446744073709551616)
expect(2 "^ember-rbm: --lr: nan is not a finite number > 0" --lr nan)
file(WRITE ${OUT}/a-file "x")
expect(2 "^ember-rbm: --out = .*a-file: cannot be used as the output directory" --epochs 10000000 --out ${OUT}/a-file)
expect(1 "^ember-rbm: CD-1 diverged at epoch [0-9]+: " --epochs 3 --lr 1e30 --out ${OUT}/run)
