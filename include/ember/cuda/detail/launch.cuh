#pragma once
/// @file
/// @brief Internals of the CUDA backend: launch geometry, a cuBLAS handle, typed GEMM/GEMV wrappers and a
/// device flag through which kernels report non-finite values (device code never throws).

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"
#include "ember/cuda/buffer.cuh"
#include "ember/cuda/detail/langevin_update.hpp"
#include "ember/cuda/error.cuh"

namespace ember::cuda::detail {

inline constexpr int block_size = 256;

/// Blocks needed for `count` threads of `block_size`.
inline unsigned grid_for(Index count, int threads = block_size) {
  return static_cast<unsigned>((count + threads - 1) / threads);
}

/// Global thread index (64-bit, batches of 2^20 chains × 128 units exceed nothing but stay safe).
__device__ inline Index thread_index() {
  return static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
}

/// @brief An owned cuBLAS handle (move-only), created on first use by whoever needs GEMMs.
class Blas {
 public:
  Blas() { check(cublasCreate(&handle_), "cublasCreate"); }
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;
  Blas(Blas&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  Blas& operator=(Blas&& other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  ~Blas() {
    if (handle_ != nullptr) cublasDestroy(handle_);
  }
  [[nodiscard]] cublasHandle_t get() const { return handle_; }

  /// C = alpha op(A) op(B) + beta C, all column-major (cublas{S,D}gemm).
  template <class T>
  void gemm(bool transpose_a, bool transpose_b, Index m, Index n, Index k, T alpha, const T* a, Index lda,
            const T* b, Index ldb, T beta, T* c, Index ldc) const {
    const cublasOperation_t op_a = transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_b = transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    if constexpr (std::is_same_v<T, float>)
      check(cublasSgemm(handle_, op_a, op_b, to_int(m), to_int(n), to_int(k), &alpha, a, to_int(lda), b,
                        to_int(ldb), &beta, c, to_int(ldc)),
            "cublasSgemm");
    else
      check(cublasDgemm(handle_, op_a, op_b, to_int(m), to_int(n), to_int(k), &alpha, a, to_int(lda), b,
                        to_int(ldb), &beta, c, to_int(ldc)),
            "cublasDgemm");
  }

  /// y = alpha op(A) x + beta y (cublas{S,D}gemv), A column-major m × n.
  template <class T>
  void gemv(bool transpose_a, Index m, Index n, T alpha, const T* a, Index lda, const T* x, T beta, T* y) const {
    const cublasOperation_t op = transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    if constexpr (std::is_same_v<T, float>)
      check(cublasSgemv(handle_, op, to_int(m), to_int(n), &alpha, a, to_int(lda), x, 1, &beta, y, 1), "cublasSgemv");
    else
      check(cublasDgemv(handle_, op, to_int(m), to_int(n), &alpha, a, to_int(lda), x, 1, &beta, y, 1), "cublasDgemv");
  }

 private:
  static int to_int(Index value) {
    ember::detail::require(value >= 0 && value <= Index{2147483647}, "ember::cuda (cuBLAS)", "dimension", value,
                           "must fit in a 32-bit int");
    return static_cast<int>(value);
  }

  cublasHandle_t handle_ = nullptr;
};

/// @brief A device counter that kernels increment when they meet a NaN/Inf; the host reads it at the end
/// of a call and throws ember::numerical_error (the third tier of errors, without device exceptions).
class NumericsFlag {
 public:
  /// The device counter, allocated (and zeroed) on first use: constructing a sampler touches no device.
  [[nodiscard]] unsigned int* device() {
    if (count_.size() == 0) {
      count_.resize(1);
      count_.set_zero();
    }
    return count_.data();
  }
  /// Throws ember::numerical_error "function: quantity is not finite in k value(s)" if any kernel flagged one.
  void throw_if_set(const char* function, const char* quantity) {
    if (count_.size() == 0) return;
    unsigned int host = 0;
    check(cudaMemcpy(&host, count_.data(), sizeof host, cudaMemcpyDeviceToHost), "cudaMemcpy (numerics flag)");
    if (host == 0) return;
    count_.set_zero();
    throw ember::numerical_error(std::string(function) + ": " + quantity + " is not finite in " +
                                 std::to_string(host) + " value(s) on the device");
  }

 private:
  DeviceBuffer<unsigned int> count_;
};

/// Flags a non-finite value from device code (at most one atomic per offending chain).
__device__ inline void flag_if_not_finite(bool ok, unsigned int* flag) {
  if (!ok) atomicAdd(flag, 1u);
}

}  // namespace ember::cuda::detail

namespace ember::cuda {

namespace detail {
template <class T>
__global__ void count_non_finite_kernel(const T* data, Index count, unsigned int* flag) {
  const Index i = thread_index();
  if (i < count) flag_if_not_finite(finite(data[i]), flag);
}
}  // namespace detail

/// @brief Throws ember::numerical_error "function: quantity is not finite in k ..." if any of the `count`
/// device values at `data` is NaN/Inf (one kernel and one 4-byte copy; synchronises).
template <class T>
void check_numerics(const T* data, Index count, const char* function, const char* quantity) {
  if (count <= 0) return;
  detail::NumericsFlag flag;
  detail::count_non_finite_kernel<T><<<detail::grid_for(count), detail::block_size>>>(data, count, flag.device());
  detail::check_launch("ember::cuda::check_numerics");
  flag.throw_if_set(function, quantity);
}

}  // namespace ember::cuda
