#pragma once
/// @file
/// @brief The one place that states ember's data layout.
///
/// A batch of N points in d dimensions is an N × d column-major Eigen matrix: **one row per point
/// (chain), one column per coordinate**. Each coordinate of the whole batch is therefore contiguous
/// ("structure of arrays"), which is what lets SIMD run across the batch: the lanes of an xsimd
/// register hold the same coordinate of consecutive chains, so a sampler's update, an activation or a
/// Box–Muller transform is a straight vector loop. Dense layers are GEMMs on contiguous memory:
/// `H = X Wᵀ` maps the N × d input to the N × h activations, again one contiguous column per unit.
///
/// A contiguous range of chains is a row block; its columns keep stride N. Functions take
/// `BatchView`/`BatchRef` (Eigen::Ref with an outer stride) so a row block passes without a copy.
/// Per-point results (energies, weights, acceptance) are length-N column vectors.

#include <Eigen/Core>

#include <ostream>
#include <string_view>

#include "ember/core/error.hpp"

namespace ember {

using Index = Eigen::Index;

/// N × d batch: row i is point (chain) i, column j is coordinate j; column-major.
template <class T>
using Batch = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

/// A length-N per-point vector (energies, weights, log-densities, acceptance flags).
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

/// Read-only view of a batch or of a row block of one (no copy).
template <class T>
using BatchView = Eigen::Ref<const Batch<T>, 0, Eigen::OuterStride<>>;

/// Writable view of a batch or of a row block of one.
template <class T>
using BatchRef = Eigen::Ref<Batch<T>, 0, Eigen::OuterStride<>>;

/// Read-only view of a per-point vector or of a segment of one.
template <class T>
using VectorView = Eigen::Ref<const Vector<T>>;

/// Writable view of a per-point vector or of a segment of one.
template <class T>
using VectorRef = Eigen::Ref<Vector<T>>;

namespace detail {

/// Shape description "N × d" used in error messages.
struct Shape {
  Index rows;
  Index cols;
  friend std::ostream& operator<<(std::ostream& out, const Shape& shape) {
    return out << shape.rows << " x " << shape.cols;
  }
};
inline Shape shape_of(Index rows, Index cols) { return {rows, cols}; }

/// A batch argument must be non-empty, have `dim` ≥ 1 columns, and hold only finite numbers.
template <class Derived>
void require_batch(const Eigen::DenseBase<Derived>& x, Index dim, std::string_view function,
                   std::string_view argument) {
  require(x.rows() > 0, function, argument, shape_of(x.rows(), x.cols()), "the batch is empty");
  require(x.cols() == dim, function, argument, shape_of(x.rows(), x.cols()), "expected ", dim,
          " columns (one per coordinate)");
  // Callers that accept any dimension pass dim = x.cols(); zero coordinates are still no data.
  require(x.cols() > 0, function, argument, shape_of(x.rows(), x.cols()), "the batch has no columns (coordinates)");
  require_all_finite(x, function, argument);
}

/// An output or companion argument must have exactly rows × cols entries.
template <class Derived>
void require_shape(const Eigen::DenseBase<Derived>& m, Index rows, Index cols, std::string_view function,
                   std::string_view argument) {
  require(m.rows() == rows && m.cols() == cols, function, argument, shape_of(m.rows(), m.cols()), "expected ",
          shape_of(rows, cols));
}

}  // namespace detail
}  // namespace ember
