# Flags for ember's own tests, examples and benchmarks (never forced on users of the INTERFACE target).
add_library(ember_dev_flags INTERFACE)
target_compile_options(ember_dev_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion>)
if(EMBER_NATIVE)
  target_compile_options(ember_dev_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
# Eigen's and xsimd's headers are system headers, so the warnings above are ember's alone.
