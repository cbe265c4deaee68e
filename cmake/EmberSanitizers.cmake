# EMBER_SANITIZE=ON builds ember's tests, examples and benchmarks with AddressSanitizer and
# UndefinedBehaviorSanitizer (any UB report aborts the test), at -O1 without debug information (reports still
# name file and line through the symbolizer; -O2 -g took ~5 minutes for one test file), in a build directory of
# its own (README and docs/reliability.md, "Sanitizers", hold the whole command):
#   cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DEMBER_SANITIZE=ON -DEMBER_ENABLE_CUDA=OFF ...
# Never applied to users of the INTERFACE target ember::ember.
option(EMBER_SANITIZE "Build ember's tests with -fsanitize=address,undefined" OFF)
if(EMBER_SANITIZE)
  if(NOT TARGET ember_dev_flags)
    message(FATAL_ERROR "cmake/EmberSanitizers.cmake must be included after cmake/EmberWarnings.cmake")
  endif()
  set(ember_sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  # -O1 comes after the build type's -O3/-O2 on the command line, so it wins (GCC 12 + xsimd need at least -O1).
  target_compile_options(ember_dev_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:${ember_sanitize_flags} -O1>)
  target_link_options(ember_dev_flags INTERFACE $<$<LINK_LANGUAGE:CXX>:${ember_sanitize_flags}>)
  message(STATUS "ember: tests are built with ${ember_sanitize_flags}")
endif()
