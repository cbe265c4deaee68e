# Install ember into a scratch prefix, then configure, build and run the consumer against it. Release: with GCC 12
# and xsimd 8.1, -march=native on an AVX-512 machine does not compile at -O0 (GCC's unoptimised intrinsic macros
# reject casts in xsimd's avx512bw select), so the consumer is optimised as a user's program would be.
file(REMOVE_RECURSE ${WORK_DIR})
# The consumer's programs build two at a time: they are most of this test's time (45 s serially, 27 s so).
set(prefix ${WORK_DIR}/prefix)
foreach(step
    "-S;${EMBER_SOURCE_DIR};-B;${WORK_DIR}/ember-build;-DEMBER_BUILD_TESTS=OFF;-DEMBER_BUILD_EXAMPLES=OFF;-DEMBER_BUILD_BENCHMARKS=OFF;-DEMBER_ENABLE_CUDA=OFF;-DEMBER_INSTALL=ON;-DCMAKE_INSTALL_PREFIX=${prefix}"
    "--install;${WORK_DIR}/ember-build"
    "-S;${EMBER_SOURCE_DIR}/tests/find-package-test;-B;${WORK_DIR}/consumer-build;-DCMAKE_PREFIX_PATH=${prefix};-DCMAKE_BUILD_TYPE=Release;-DEMBER_EXPECT_MPI=${EMBER_EXPECT_MPI}"
    "--build;${WORK_DIR}/consumer-build;--parallel;2")
  execute_process(COMMAND ${CMAKE_COMMAND} ${step} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "find-package test: 'cmake ${step}' failed with ${rc}")
  endif()
endforeach()
foreach(program consumer consumer_native)
  execute_process(COMMAND ${WORK_DIR}/consumer-build/${program} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "find-package test: the program ${program} failed with ${rc}")
  endif()
endforeach()
# The MPI component under mpirun with two ranks (where ember's build found MPI).
if(EMBER_EXPECT_MPI)
  string(REPLACE "|" ";" mpiexec "${MPIEXEC}")
  execute_process(COMMAND ${mpiexec} -np 2 ${WORK_DIR}/consumer-build/consumer_mpi RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "find-package test: consumer_mpi under mpirun -np 2 failed with ${rc}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${EMBER_SOURCE_DIR}/tests/find-package-test -B ${WORK_DIR}/consumer-mpi-required
                          -DCMAKE_PREFIX_PATH=${prefix} -DEMBER_REQUIRE_MPI=ON RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "find-package test: find_package(ember REQUIRED COMPONENTS mpi) failed with ${rc}")
  endif()
endif()
# A chosen target ISA instead of the building machine's: configuring is enough to check the flag.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${EMBER_SOURCE_DIR}/tests/find-package-test -B ${WORK_DIR}/consumer-arch
                        -DCMAKE_PREFIX_PATH=${prefix} -DEMBER_ARCH=x86-64-v2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "find-package test: configuring with EMBER_ARCH=x86-64-v2 failed with ${rc}")
endif()
