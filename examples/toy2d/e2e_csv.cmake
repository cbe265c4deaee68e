include(${CMAKE_CURRENT_LIST_DIR}/../common/e2e_numbers.cmake)
# A malformed CSV must fail with the file name and the line number of the bad row.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
file(WRITE ${OUT}/bad.csv "x,y\n0.1,0.2\n0.3,oops\n")
execute_process(COMMAND ${PROGRAM} --data-file ${OUT}/bad.csv --iters 5 --out ${OUT}/run --quiet
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(rc EQUAL 0)
  message(FATAL_ERROR "ember-toy2d accepted a malformed CSV")
endif()
if(NOT stderr MATCHES "bad.csv:3 column 2")
  message(FATAL_ERROR "the error does not name bad.csv:3 column 2:\n${stderr}")
endif()

# --standardize on (the default for --data-file): the methods train on the training rows' standard scores, so a
# file in other units (x' = 100 x + 500, y' = 100 y - 300) learns the same density: its held-out NLL, reported in
# the file's units, is the plain file's plus log(100 * 100) = 9.21034, its MMD² (on standard scores) the same, and
# samples.csv is in the file's units. Without it the moved file lies outside [-6, 6]² and is refused.
function(decimal value out)  # value / 100 as a decimal string
  set(sign "")
  if(value LESS 0)
    set(sign "-")
    math(EXPR value "-(${value})")
  endif()
  math(EXPR whole "${value} / 100")
  math(EXPR cents "${value} % 100")
  if(cents LESS 10)
    set(cents "0${cents}")
  endif()
  set(${out} "${sign}${whole}.${cents}" PARENT_SCOPE)
endfunction()
set(plain "x,y\n")  # 600 rows of each
set(moved "x,y\n")
set(state 777)
foreach(row RANGE 599)
  lcg_draws(state 3 -60 60 u)
  list(POP_FRONT u u0 u1 u2)
  math(EXPR x "${u0} + ${u1}")        # hundredths: x in [-1.2, 1.2], y correlated with it
  math(EXPR y "${u0} - ${u2} / 2")
  math(EXPR x_moved "100 * ${x} + 50000")
  math(EXPR y_moved "100 * ${y} - 30000")
  decimal(${x} xs)
  decimal(${y} ys)
  decimal(${x_moved} xm)
  decimal(${y_moved} ym)
  string(APPEND plain "${xs},${ys}\n")
  string(APPEND moved "${xm},${ym}\n")
endforeach()
file(WRITE ${OUT}/plain.csv "${plain}")
file(WRITE ${OUT}/moved.csv "${moved}")
foreach(name plain moved)
  execute_process(COMMAND ${PROGRAM} --data-file ${OUT}/${name}.csv --method dsm --iters 60 --batch 64 --grid-cells 160
                          --quiet --out ${OUT}/${name}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ember-toy2d --data-file ${name}.csv: exit ${rc}\n${stdout}\n${stderr}")
  endif()
  file(READ ${OUT}/${name}/metrics.json metrics)
  string(JSON nll_${name} GET "${metrics}" nll)
  string(JSON mmd_${name} GET "${metrics}" mmd)
  string(JSON scale_${name} GET "${metrics}" scale 0)
  string(JSON standardize GET "${metrics}" standardize)
  if(NOT standardize STREQUAL "on")
    message(FATAL_ERROR "${name}.csv: standardize is ${standardize}, expected on by default")
  endif()
endforeach()
fixed_point(${nll_plain} 6 a)  # millionths
fixed_point(${nll_moved} 6 b)
math(EXPR gap "${b} - ${a} - 9210340")  # log(10⁴) = 9.210340
if(gap GREATER 100 OR gap LESS -100)
  message(FATAL_ERROR "held-out NLL ${nll_moved} on moved.csv, ${nll_plain} on plain.csv: the difference should be "
                      "log(100 * 100) = 9.21034 (standard scores make the training the same)")
endif()
fixed_point(${mmd_plain} 6 a)
fixed_point(${mmd_moved} 6 b)
math(EXPR gap "${b} - ${a}")
if(gap GREATER 100 OR gap LESS -100)
  message(FATAL_ERROR "MMD² ${mmd_moved} on moved.csv against ${mmd_plain} on plain.csv: should agree")
endif()
file(STRINGS ${OUT}/moved/samples.csv samples LIMIT_COUNT 3)
list(GET samples 1 first)
if(NOT first MATCHES "^[0-9.e+]+,-[0-9.e+]+$")
  message(FATAL_ERROR "samples.csv of moved.csv should be in the file's units (x near 500, y near -300): ${first}")
endif()
string(REGEX MATCH "^[0-9]+" x_first "${first}")
if(x_first LESS 300 OR x_first GREATER 700)
  message(FATAL_ERROR "samples.csv of moved.csv should be in the file's units (x near 500): ${first}")
endif()
execute_process(COMMAND ${PROGRAM} --data-file ${OUT}/moved.csv --method dsm --iters 5 --standardize off --quiet
                        --out ${OUT}/off
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(NOT rc EQUAL 2 OR NOT stderr MATCHES "lies outside \\[-6, 6\\]\\^2")
  message(FATAL_ERROR "moved.csv with --standardize off: exit ${rc}, expected 2 (outside [-6, 6]^2):\n${stderr}")
endif()
# --standardize on for a built-in set with a known density: the KL is measured against the exact density carried over
# to standard scores (log p_x(x(z)) + log |S|), so it stays comparable with a run on the points as given (measured:
# 1.26 against 1.30 for DSM after 300 updates on 8gaussians, whose |S| = 1.43²; forgetting the log |S| moves it by 0.71).
foreach(mode on off)
  execute_process(COMMAND ${PROGRAM} --dataset 8gaussians --method dsm --iters 300 --batch 64 --grid-cells 160
                          --quiet --standardize ${mode} --out ${OUT}/g8-${mode}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ember-toy2d --dataset 8gaussians --standardize ${mode}: exit ${rc}\n${stderr}")
  endif()
  file(READ ${OUT}/g8-${mode}/metrics.json metrics)
  string(JSON kl GET "${metrics}" kl)
  fixed_point(${kl} 6 kl_${mode})
endforeach()
math(EXPR gap "${kl_on} - ${kl_off}")
if(gap GREATER 300000 OR gap LESS -300000)
  message(FATAL_ERROR "KL on 8gaussians: ${kl_on} (x 1e-6) with standard scores, ${kl_off} without: they should agree "
                      "within 0.3")
endif()
