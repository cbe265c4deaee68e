# Every picture the example programs write, read back by ember-png-check (invoked by ctest with -DTOY2D,
# -DGAUSSIAN, -DRBM, -DCHECK and -DOUT): each program runs on a tiny budget, then each PNG must have a title,
# nothing in its 3-pixel edge (no clipped label), an axes frame where it has axes, and a colour bar that follows
# its colour map where it shows colour. Where python3 has matplotlib, examples/plot_outputs.py redraws each
# output directory as a PDF (-DSOURCE_DIR: the repository).
file(REMOVE_RECURSE ${OUT})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${stdout}\n${stderr}")
  endif()
endfunction()

function(check png)
  if(NOT EXISTS ${png})
    message(FATAL_ERROR "no picture ${png}")
  endif()
  execute_process(COMMAND ${CHECK} ${png} ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ember-png-check ${png} ${ARGN} failed:\n${stderr}")
  endif()
endfunction()

set(tiny --iters 3 --steps 2 --batch 32 --grid-cells 60 --quiet)
run("ember-toy2d --method dcd" ${TOY2D} --dataset 8gaussians --method dcd ${tiny} --out ${OUT}/toy2d)
check(${OUT}/toy2d/density.png --min-size 400 400 --axes --colour-bar viridis)
check(${OUT}/toy2d/samples.png --min-size 400 400 --axes --colour-bar viridis)
# --method all with a huge ULA step: CD, PCD and improved CD diverge, their montage panels are grey.
run("ember-toy2d --method all" ${TOY2D} --dataset rings --method all ${tiny} --threads 2 --step-size 1e15
    --out ${OUT}/toy2d-all)
check(${OUT}/toy2d-all/montage.png --min-size 1000 200 --axes --colour-bar viridis)
check(${OUT}/toy2d-all/dcd/density.png --min-size 400 400 --axes --colour-bar viridis)

run("ember-gaussian --method all" ${GAUSSIAN} --dim 2 --method all --iters 50 --out ${OUT}/gaussian)
check(${OUT}/gaussian/kl.png --min-size 600 300 --axes)

run("ember-rbm" ${RBM} --epochs 3 --hidden 8 --seed 2 --quiet --out ${OUT}/rbm)
check(${OUT}/rbm/log_likelihood.png --min-size 600 300 --axes)
foreach(name data samples_cd1 samples_cd10 samples_pcd)
  check(${OUT}/rbm/${name}.png --min-size 300 200 --colour-bar greys)
endforeach()

# The matplotlib script redraws each output directory as a PDF, where a python3 with matplotlib is found.
set(python "")
foreach(candidate python3 /usr/bin/python3)
  execute_process(COMMAND ${candidate} -c "import matplotlib, numpy" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    set(python ${candidate})
    break()
  endif()
endforeach()
if(python)
  foreach(dir toy2d toy2d-all gaussian rbm)
    file(REMOVE ${OUT}/${dir}/figure.pdf)
    run("plot_outputs.py ${dir}" ${python} ${SOURCE_DIR}/examples/plot_outputs.py ${OUT}/${dir})
    file(READ ${OUT}/${dir}/figure.pdf head LIMIT 4 HEX)
    if(NOT head STREQUAL "25504446")  # "%PDF"
      message(FATAL_ERROR "plot_outputs.py did not write ${OUT}/${dir}/figure.pdf")
    endif()
  endforeach()
else()
  message(STATUS "no python3 with matplotlib and numpy: examples/plot_outputs.py not run")
endif()
