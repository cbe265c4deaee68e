# EMBER_SANITIZE=ON builds ember's tests, examples and benchmarks with AddressSanitizer and
# UndefinedBehaviorSanitizer (any UB report aborts the test), in a build directory of its own:
#   cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMBER_SANITIZE=ON -DEMBER_ENABLE_CUDA=OFF
# Never applied to users of the INTERFACE target ember::ember.
option(EMBER_SANITIZE "Build ember's tests with -fsanitize=address,undefined" OFF)
if(EMBER_SANITIZE)
  if(NOT TARGET ember_dev_flags)
    message(FATAL_ERROR "cmake/EmberSanitizers.cmake must be included after cmake/EmberWarnings.cmake")
  endif()
  set(ember_sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_compile_options(ember_dev_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:${ember_sanitize_flags}>)
  target_link_options(ember_dev_flags INTERFACE $<$<LINK_LANGUAGE:CXX>:${ember_sanitize_flags}>)
  message(STATUS "ember: tests are built with ${ember_sanitize_flags}")
endif()
