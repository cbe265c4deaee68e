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
