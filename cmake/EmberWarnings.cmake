# Flags for ember's own tests, examples and benchmarks (never forced on users of the INTERFACE target).
add_library(ember_dev_flags INTERFACE)
target_compile_options(ember_dev_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion>)
if(EMBER_NATIVE)
  target_compile_options(ember_dev_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
# Eigen's and xsimd's headers are system headers, so the warnings above are ember's alone.
# GCC 12 reports thousands of false -Wmaybe-uninitialized warnings at every inlined AVX-512 intrinsic
# (`__m512 __Y = __Y;` in avx512fintrin.h's _mm512_undefined_*; GCC bug 105593, fixed in GCC 13), and the same
# bug as "'__Y' is used uninitialized" (-Wuninitialized) wherever inlining lands an xsimd double kernel
# (_mm512_min_pd, _mm512_roundscale_pd, ...) in a test or example: ~150 of them in a full build. They drown
# every real warning on AVX-512 machines, so those two flags are off there; clang and newer GCC keep them.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(ember_dev_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wno-maybe-uninitialized -Wno-uninitialized>)
endif()
