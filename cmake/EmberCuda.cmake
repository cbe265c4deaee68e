# The CUDA backend's build settings, shared by tests/cuda and bench/cuda (included only where CMake found nvcc).
#
# EMBER_CUDA_ARCHITECTURES: what nvcc compiles ember's CUDA programs for. The default covers the GPUs users
# have: SASS for sm_80 (A100) and sm_90 (H100/H200), plus compute_90 PTX that newer GPUs JIT-compile.
# Override it on the command line, e.g. -DEMBER_CUDA_ARCHITECTURES=native or "89-real".
# (It sets each target's CUDA_ARCHITECTURES; CMAKE_CUDA_ARCHITECTURES, nvcc's own default, is not used.)
include_guard(GLOBAL)
find_package(CUDAToolkit REQUIRED)

set(EMBER_CUDA_ARCHITECTURES "80-real;90-real;90-virtual" CACHE STRING
    "CUDA architectures of ember's CUDA tests and benchmarks (default: sm_80 and sm_90 SASS, compute_90 PTX)")

# ember_cuda_flags: what every nvcc-compiled ember program needs. --expt-relaxed-constexpr: device code calls
# ember's constexpr Philox (std::array). -std=c++20 by hand: CMake < 3.27 does not know nvcc 13's C++20 flag.
# No --use_fast_math: the device arithmetic must keep IEEE division, square root and denormals to match the CPU.
add_library(ember_cuda_flags INTERFACE)
target_compile_options(ember_cuda_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20 --expt-relaxed-constexpr -diag-suppress=20012,20014 -Xcompiler=-Wall,-Wextra>)
target_link_libraries(ember_cuda_flags INTERFACE ember::ember CUDA::cudart CUDA::cublas)

# ember_cuda_target(<target>): compiles <target> for EMBER_CUDA_ARCHITECTURES with ember_cuda_flags.
function(ember_cuda_target name)
  set_target_properties(${name} PROPERTIES CUDA_ARCHITECTURES "${EMBER_CUDA_ARCHITECTURES}")
  target_link_libraries(${name} PRIVATE ember_cuda_flags)
endfunction()
