#pragma once
/// @file
/// @brief RAII device memory, and batches that keep ember's N × d column-major layout on the device.
///
/// `DeviceBuffer<T>` owns a flat array (parameter vectors, per-chain energies); `DeviceBatch<T>` owns an
/// N × d column-major matrix with leading dimension N, exactly core/batch.hpp's layout: row i is chain i,
/// column j (contiguous, stride 1 between chains) is coordinate j. Copies in either direction accept row
/// blocks (Eigen views with an outer stride). All copies are synchronous and checked.
///
/// @code
/// ember::cuda::DeviceBatch<float> x(host_batch);   // host → device
/// ember::Batch<float> back = x.to_host();          // device → host
/// @endcode

#include <cuda_runtime.h>

#include <cstddef>
#include <string_view>
#include <utility>

#include "ember/core/batch.hpp"
#include "ember/core/error.hpp"
#include "ember/cuda/error.cuh"

namespace ember::cuda {

/// @brief An owning, move-only array of `size()` elements of T in device memory.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  /// @brief Allocates `size` elements (uninitialised). @pre size ≥ 0.
  explicit DeviceBuffer(Index size) { resize(size); }
  /// @brief Allocates and copies a host vector (parameters, weights).
  explicit DeviceBuffer(VectorView<T> host) : DeviceBuffer(host.size()) { upload(host); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { release(); }

  /// @brief Makes room for `size` elements; the contents are lost unless the size is unchanged.
  void resize(Index size) {
    ember::detail::require(size >= 0, "ember::cuda::DeviceBuffer::resize", "size", size, "must be >= 0");
    if (size == size_) return;
    release();
    if (size > 0) detail::check(cudaMalloc(&data_, bytes(size)), "cudaMalloc");
    size_ = size;
  }
  /// @brief Sets every byte to zero (0 for float and double).
  void set_zero() {
    if (size_ > 0) detail::check(cudaMemset(data_, 0, bytes(size_)), "cudaMemset");
  }
  /// @brief Host → device; resizes to the host vector's size.
  void upload(VectorView<T> host) {
    resize(host.size());
    if (size_ > 0) detail::check(cudaMemcpy(data_, host.data(), bytes(size_), cudaMemcpyHostToDevice), "cudaMemcpy (host to device)");
  }
  /// @brief Device → host into a vector of the same size.
  void download(VectorRef<T> host) const {
    ember::detail::require_shape(host, size_, 1, "ember::cuda::DeviceBuffer::download", "host");
    if (size_ > 0) detail::check(cudaMemcpy(host.data(), data_, bytes(size_), cudaMemcpyDeviceToHost), "cudaMemcpy (device to host)");
  }
  /// @brief A host copy.
  [[nodiscard]] Vector<T> to_host() const {
    Vector<T> host(size_);
    download(host);
    return host;
  }

  [[nodiscard]] T* data() { return data_; }
  [[nodiscard]] const T* data() const { return data_; }
  [[nodiscard]] Index size() const { return size_; }

 private:
  static std::size_t bytes(Index count) { return static_cast<std::size_t>(count) * sizeof(T); }
  void release() noexcept {
    if (data_ != nullptr) cudaFree(data_);  // no throw from a destructor; cudaFree only fails on a broken context
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  Index size_ = 0;
};

/// A per-chain vector on the device (energies, weights, acceptance counts).
template <class T>
using DeviceVector = DeviceBuffer<T>;

/// @brief An owning N × d column-major batch in device memory (leading dimension N): one row per chain.
template <class T>
class DeviceBatch {
 public:
  DeviceBatch() = default;
  /// @brief Allocates an uninitialised rows × cols batch. @pre rows, cols ≥ 0.
  DeviceBatch(Index rows, Index cols) { resize(rows, cols); }
  /// @brief Copies a host batch (or a row block of one) to the device.
  explicit DeviceBatch(BatchView<T> host) { upload(host); }

  void resize(Index rows, Index cols) {
    constexpr const char* fn = "ember::cuda::DeviceBatch::resize";
    ember::detail::require(rows >= 0, fn, "rows", rows, "must be >= 0");
    ember::detail::require(cols >= 0, fn, "cols", cols, "must be >= 0");
    buffer_.resize(rows * cols);
    rows_ = rows;
    cols_ = cols;
  }
  void set_zero() { buffer_.set_zero(); }

  /// @brief Host → device; takes the host batch's shape. Row blocks (outer stride > rows) are fine.
  void upload(BatchView<T> host) {
    resize(host.rows(), host.cols());
    if (buffer_.size() == 0) return;
    detail::check(cudaMemcpy2D(buffer_.data(), pitch(), host.data(), bytes(host.outerStride()), pitch(),
                               static_cast<std::size_t>(cols_), cudaMemcpyHostToDevice),
                  "cudaMemcpy2D (host to device)");
  }
  /// @brief Device → host into a batch (or row block) of the same shape.
  void download(BatchRef<T> host) const {
    ember::detail::require_shape(host, rows_, cols_, "ember::cuda::DeviceBatch::download", "host");
    if (buffer_.size() == 0) return;
    detail::check(cudaMemcpy2D(host.data(), bytes(host.outerStride()), buffer_.data(), pitch(), pitch(),
                               static_cast<std::size_t>(cols_), cudaMemcpyDeviceToHost),
                  "cudaMemcpy2D (device to host)");
  }
  /// @brief A host copy.
  [[nodiscard]] Batch<T> to_host() const {
    Batch<T> host(rows_, cols_);
    download(host);
    return host;
  }
  /// @brief Device → device copy of a batch of the same shape.
  void copy_from(const DeviceBatch& other) {
    resize(other.rows(), other.cols());
    if (buffer_.size() > 0)
      detail::check(cudaMemcpy(buffer_.data(), other.data(), bytes(buffer_.size()), cudaMemcpyDeviceToDevice),
                    "cudaMemcpy (device to device)");
  }

  [[nodiscard]] T* data() { return buffer_.data(); }
  [[nodiscard]] const T* data() const { return buffer_.data(); }
  [[nodiscard]] Index rows() const { return rows_; }
  [[nodiscard]] Index cols() const { return cols_; }
  /// Leading dimension (distance between columns) = rows().
  [[nodiscard]] Index ld() const { return rows_; }

 private:
  static std::size_t bytes(Index count) { return static_cast<std::size_t>(count) * sizeof(T); }
  [[nodiscard]] std::size_t pitch() const { return bytes(rows_); }

  DeviceBuffer<T> buffer_;
  Index rows_ = 0;
  Index cols_ = 0;
};

namespace detail {

/// A device batch argument must have exactly rows × cols entries (the host's require_shape message).
template <class T>
void require_shape(const DeviceBatch<T>& m, Index rows, Index cols, std::string_view function,
                   std::string_view argument) {
  ember::detail::require(m.rows() == rows && m.cols() == cols, function, argument,
                         ember::detail::shape_of(m.rows(), m.cols()), "expected ",
                         ember::detail::shape_of(rows, cols));
}

}  // namespace detail
}  // namespace ember::cuda
