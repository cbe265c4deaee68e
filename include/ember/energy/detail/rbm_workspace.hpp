#pragma once
/// @file
/// @brief ember::Rbm's per-thread workspaces: the cached table-lookup products (W transposed, the last X W), the
/// parameter hold that lets a cache skip re-validating W, and the buffers of one column block.
///
/// Internal to energy/rbm.hpp (and mcmc/gibbs.hpp, which shares detail::for_column_runs).

#include <xsimd/xsimd.hpp>

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "ember/core/batch.hpp"
#include "ember/simd/binary_product.hpp"

namespace ember {
namespace detail {

/// One column block of a table-lookup product X W, remembered between calls: W's block as last seen, row-major
/// (the rows the tables sum; compared bit for bit with W, in the same pass that transposes it, on every call or,
/// under a hold of the RBM's parameters, on the hold's first call),
/// and the last product with its X (X's codes). CD's positive phase multiplies the same data by the same W as
/// Gibbs' first half-step did: the second product is then free, and W is rewritten once per parameter update.
template <class T>
struct RbmBlockCache {
  Index d = 0, count = 0;
  std::vector<T, xsimd::aligned_allocator<T>> rows;     // W(:, block) as last seen, row-major d × count
  const T* source = nullptr;                            // the W block `rows` was last validated against ...
  std::uint64_t validated_in = 0;                       // ... under this parameter hold (0: none)
  std::vector<std::uint8_t> codes;                      // X's row codes (rows × chunks) of `product`
  Index rows_of_x = 0, chunks = 0;
  std::vector<T, xsimd::aligned_allocator<T>> product;  // X W(:, block), row-major N × count
  bool has_weights = false, has_product = false;
};

/// f(j, n) over columns [first, first + count) of a column-major matrix with `rows` rows and leading dimension
/// `stride`: one call f(first, rows·count) when the columns are contiguous (a SIMD loop then runs throughout;
/// per column, the last rows mod lanes entries would take its scalar tail), else f(j, rows) per column.
template <class F>
void for_column_runs(Index rows, Index stride, Index first, Index count, F&& f) {
  if (stride == rows) {
    f(first, rows * count);
  } else {
    for (Index j = first; j < first + count; ++j) f(j, rows);
  }
}

/// Reusable per-thread buffers for the RBM's const evaluations: no allocation once warm, and safe when
/// several threads evaluate the same RBM on different row blocks.
template <class T>
struct RbmWorkspace {
  Batch<T> input;             // N × h hidden inputs A
  Batch<T> other;             // N × h second buffer (σ(A), or U W)
  Vector<T> weighted;         // length-N per-point weights
  simd::BinaryCodes rows;     // codes of a binary batch's rows (for V W or H Wᵀ by table lookup)
  simd::BinaryCodes columns;  // codes of its columns (for Vᵀ S)
  std::vector<RbmBlockCache<T>> blocks;  // per column block of V W (each touched by one thread per call)
  std::uint64_t hold = 0;                // the innermost Rbm::hold_parameters() on this thread (0: none) ...
  const void* held = nullptr;            // ... and the parameters it holds
};

template <class T>
RbmWorkspace<T>& rbm_workspace() {
  thread_local RbmWorkspace<T> workspace;
  return workspace;
}

/// Rbm::hold_parameters()'s guard: marks the calling thread's workspace with a fresh hold number and the held
/// parameters, and restores the enclosing hold when it ends (holds nest). Like a lock guard it is to end on the
/// thread that took it; holds that end out of order leave no hold at all (the caches are then validated on every
/// call again: slower, never stale).
template <class T>
class RbmParameterHold {
 public:
  explicit RbmParameterHold(const void* params)
      : workspace_(rbm_workspace<T>()), outer_hold_(workspace_.hold), outer_held_(workspace_.held) {
    static std::atomic<std::uint64_t> holds{0};
    hold_ = holds.fetch_add(1, std::memory_order_relaxed) + 1;
    workspace_.hold = hold_;
    workspace_.held = params;
  }
  RbmParameterHold(const RbmParameterHold&) = delete;
  RbmParameterHold& operator=(const RbmParameterHold&) = delete;
  ~RbmParameterHold() {
    const bool innermost = workspace_.hold == hold_;
    workspace_.hold = innermost ? outer_hold_ : 0;
    workspace_.held = innermost ? outer_held_ : nullptr;
  }

 private:
  RbmWorkspace<T>& workspace_;
  std::uint64_t hold_ = 0;
  std::uint64_t outer_hold_;
  const void* outer_held_;
};

/// Buffers of one column block's table-lookup product, per worker thread.
template <class T>
struct RbmBlockWorkspace {
  simd::BinaryProductWorkspace<T> lut;
  std::vector<T, xsimd::aligned_allocator<T>> dense;   // the dense factor's block (S) as a row-major tile
  std::vector<T, xsimd::aligned_allocator<T>> result;  // the product's block, row-major
};

template <class T>
RbmBlockWorkspace<T>& rbm_block_workspace() {
  thread_local RbmBlockWorkspace<T> workspace;
  return workspace;
}

/// A table-lookup product pays for its tables (2⁴ adds per 4 summed rows) over the rows of its result; below
/// this many rows (chains, or visible units for Vᵀ S) the GEMM is cheaper.
inline constexpr Index binary_product_min_rows = 16;

}  // namespace detail
}  // namespace ember
