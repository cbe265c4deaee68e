#pragma once
/// @file
/// @brief Host-side checking of every CUDA runtime and cuBLAS call; device code uses no exceptions.
///
/// A failed call throws ember::cuda::cuda_error whose message names the call and the runtime's own
/// description (cudaGetErrorName / cudaGetErrorString, cublasGetStatusString). Kernels report numerical
/// failure through a device flag that the host reads at the end of a call (ember::numerical_error).
///
/// @code
/// float* p = nullptr;
/// ember::cuda::detail::check(cudaMalloc(&p, 1024), "cudaMalloc");  // throws ember::cuda::cuda_error on failure
/// @endcode

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <string_view>

#if !defined(__CUDACC_RELAXED_CONSTEXPR__)
#error "ember/cuda needs nvcc's --expt-relaxed-constexpr: device code calls ember's constexpr Philox (std::array)."
#endif

namespace ember::cuda {

/// @brief A CUDA runtime or cuBLAS call failed. The message reads `ember::cuda: <call> failed: <name>: <text>`.
class cuda_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// Throws ember::cuda::cuda_error naming `call` unless `status` is cudaSuccess.
inline void check(cudaError_t status, std::string_view call) {
  if (status == cudaSuccess) return;
  std::string message = "ember::cuda: ";
  message.append(call).append(" failed: ").append(cudaGetErrorName(status)).append(": ");
  message.append(cudaGetErrorString(status));
  throw cuda_error(message);
}

/// Throws ember::cuda::cuda_error naming `call` unless `status` is CUBLAS_STATUS_SUCCESS.
inline void check(cublasStatus_t status, std::string_view call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  std::string message = "ember::cuda: ";
  message.append(call).append(" failed: cuBLAS status ").append(std::to_string(static_cast<int>(status)));
  message.append(": ").append(cublasGetStatusString(status));
  throw cuda_error(message);
}

/// After a kernel launch: reports a bad launch configuration (or an earlier asynchronous error).
inline void check_launch(std::string_view kernel) {
  check(cudaGetLastError(), std::string("launch of ").append(kernel));
}

}  // namespace detail
}  // namespace ember::cuda
